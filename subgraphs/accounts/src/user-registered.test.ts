import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseEvent } from '@storefront/events';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { startTestSubgraph, type TestSubgraph } from '@storefront/testing';
import { es256Signing } from './access-tokens.ts';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { start } from './index.ts';

/*
 * signUp publishes UserRegistered through accounts' outbox, in the transaction that creates the user: one
 * row per account, none for a refused sign-up.
 */

let accounts: TestSubgraph;
let opened: ServiceDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const accessTokens = { issuer: 'test-accounts', audience: 'test-store', ttlSeconds: 900, refreshTtlSeconds: 3_600, signing: await es256Signing(pem) };
  accounts = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), (config, logger) => start(config, logger, { accessTokens }));
  opened = await openDatabase({ target: { kind: 'postgres', url: accounts.database.url }, migrationsDir: MIGRATIONS_DIR, migrate: false, poolSize: 2 });
  prisma = new PrismaClient({ adapter: opened.adapter });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await opened?.close();
  await accounts?.close();
});

const signUp = async (input: Record<string, unknown>) =>
  (
    await accounts.query<{ signUp: { user: { id: string } | null; errors: Array<{ code: string }> } }>(
      'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } errors { code } } }',
      { input },
    )
  ).body.data!.signUp;

const PASSWORD = 'a long enough passphrase';
const registeredEvents = async (email: string) =>
  (await prisma.outboxEvent.findMany({ where: { type: 'UserRegistered' } })).filter((row) => (row.payload as { email?: string }).email === email);

describe('UserRegistered', () => {
  it('is written to the outbox exactly once by a sign-up, with the contract’s payload', async () => {
    const email = `new-${randomUUID().slice(0, 8)}@example.com`;
    const { user, errors } = await signUp({ email, password: PASSWORD, name: ' Ada Lovelace ' });
    expect(errors).toEqual([]);
    const rows = await registeredEvents(email);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ version: 1, source: 'accounts', aggregateId: user!.id, publishedAt: null, correlationId: expect.any(String) });
    // What the relay will publish is valid against the registry.
    const event = parseEvent({
      id: row!.id,
      type: row!.type,
      version: row!.version,
      source: row!.source,
      aggregateId: row!.aggregateId,
      correlationId: row!.correlationId,
      payload: row!.payload,
      occurredAt: row!.occurredAt.toISOString(),
    });
    expect(event.payload).toEqual({ userId: user!.id, email, name: 'Ada Lovelace' });
  });

  it('is not written when the sign-up is refused', async () => {
    const email = `taken-${randomUUID().slice(0, 8)}@example.com`;
    expect((await signUp({ email, password: PASSWORD, name: 'First' })).errors).toEqual([]);
    const before = await prisma.outboxEvent.count();
    const taken = await signUp({ email: email.toUpperCase(), password: PASSWORD, name: 'Second' });
    expect(taken.errors.map((e) => e.code)).toEqual(['ALREADY_EXISTS']);
    const invalid = await signUp({ email: 'not-an-email', password: 'short', name: '' });
    expect(invalid.user).toBeNull();
    expect(await prisma.outboxEvent.count()).toBe(before);
    expect(await registeredEvents(email)).toHaveLength(1);
  });
});
