import { randomUUID } from 'node:crypto';
import { dropDatabase, ensureDatabaseExists } from './pg.ts';

/** The server tests create their databases on (CREATEDB needed); override with TEST_POSTGRES_URL. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database with a unique name, so parallel test runs never share data. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/sf_test_${label.replace(/[^a-z0-9_]/gi, '_')}_${randomUUID().slice(0, 8)}`;
  const connectionString = url.toString();
  await ensureDatabaseExists(connectionString);
  return { url: connectionString, drop: () => dropDatabase(connectionString) };
}
