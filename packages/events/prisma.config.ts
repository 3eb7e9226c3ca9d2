// For `prisma generate` (npm run generate): this package's own client, which its tests run on. The package has
// no database or migrations of its own; each service migrates these tables in its own database.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
