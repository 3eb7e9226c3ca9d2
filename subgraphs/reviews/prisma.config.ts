// For Prisma's own CLI (`npx prisma migrate deploy` on a machine with its native engine). This repository's
// scripts (npm run db:*) do the same through Prisma's WASM engine; see prisma/README.md.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
