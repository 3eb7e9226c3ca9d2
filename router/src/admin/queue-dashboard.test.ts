import { createSecretKey, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ACCESS_TOKEN_DEFAULTS, ACCESS_TOKEN_TYPE } from '@storefront/identity';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { SignJWT } from 'jose';
import { startTestQueues, type TestQueues } from '../../../subgraphs/operations/src/test-support.ts';
import { testRouterConfig } from '../test-config.ts';
import { startRouter, type RunningRouter } from '../router.ts';
import { DASHBOARD_PATH, SESSION_COOKIE, SESSION_PATH } from './queue-dashboard.ts';

/* bull-board behind the router's own access-token check, on a real Redis with a prefix of its own. */

const silent = createLogger({ service: 'dashboard-test', level: 'silent' });
const SECRET = randomUUID() + randomUUID();

let queues: TestQueues;
let workdir: string;
let router: RunningRouter;
let routerWithout: RunningRouter;

async function accessToken(scopes: string[], roles: string[], expiresIn = 900): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles, scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE })
    .setIssuer(ACCESS_TOKEN_DEFAULTS.issuer)
    .setAudience(ACCESS_TOKEN_DEFAULTS.audience)
    .setSubject(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(createSecretKey(Buffer.from(SECRET)));
}

const adminToken = () => accessToken(['orders:read', 'admin'], ['ADMIN']);
const customerToken = () => accessToken(['orders:read'], ['CUSTOMER']);

beforeAll(async () => {
  queues = startTestQueues('dashboard');
  await queues.deadLetter('jobs.invoices', { id: 'invoice-9', name: 'invoice', data: { orderId: 'o-9' } });
  const result = compose([
    { name: 'things', url: 'http://127.0.0.1:1/graphql', sdl: 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"]) type Query { things: [String!]! }' },
  ]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  workdir = await mkdtemp(path.join(tmpdir(), 'dashboard-test-'));
  const supergraphPath = path.join(workdir, 'supergraph.graphql');
  await writeFile(supergraphPath, result.supergraphSdl);
  const base = testRouterConfig(supergraphPath, {
    auth: {
      accessTokens: { keys: { kind: 'secret', secret: SECRET }, issuer: ACCESS_TOKEN_DEFAULTS.issuer, audience: ACCESS_TOKEN_DEFAULTS.audience, clockSkewSeconds: 5 },
      identityKey: (await import('@storefront/testing')).TEST_ROUTER_IDENTITY_KEYS.privateKey,
    },
  });
  router = await startRouter({ ...base, queueDashboard: { queues: queues.queues } }, silent);
  routerWithout = await startRouter(base, silent);
});

afterAll(async () => {
  await router?.close();
  await routerWithout?.close();
  await queues?.close();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

const at = (running: RunningRouter, requestPath: string) => `${new URL(running.url).origin}${requestPath}`;

it('is off unless configured', async () => {
  expect((await fetch(at(routerWithout, `${DASHBOARD_PATH}/`), { headers: { authorization: `Bearer ${await adminToken()}` } })).status).toBe(404);
  expect((await fetch(at(routerWithout, SESSION_PATH), { method: 'POST', headers: { authorization: `Bearer ${await adminToken()}` } })).status).toBe(404);
});

it('refuses anonymous callers, bad tokens and non-admins, on the page, its assets and its API', async () => {
  const customer = await customerToken();
  for (const requestPath of [DASHBOARD_PATH, `${DASHBOARD_PATH}/`, `${DASHBOARD_PATH}/api/queues`, `${DASHBOARD_PATH}/static/favicon-32x32.png`]) {
    expect((await fetch(at(router, requestPath))).status).toBe(401);
    expect((await fetch(at(router, requestPath), { headers: { authorization: 'Bearer not.a.token' } })).status).toBe(401);
    expect((await fetch(at(router, requestPath), { headers: { authorization: `Bearer ${customer}` } })).status).toBe(403);
    expect((await fetch(at(router, requestPath), { headers: { cookie: `${SESSION_COOKIE}=${customer}` } })).status).toBe(403);
  }
});

it('serves the dashboard and its API to an admin, work queues and dead letters alike', async () => {
  const headers = { authorization: `Bearer ${await adminToken()}` };
  const page = await fetch(at(router, `${DASHBOARD_PATH}/`), { headers });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(`<base href="${DASHBOARD_PATH}/"`);
  const script = /src="(static\/js\/main[^"]+)"/.exec(html)?.[1];
  expect(script).toBeDefined();
  expect((await fetch(at(router, `${DASHBOARD_PATH}/${script}`), { headers })).status).toBe(200);

  const api = await fetch(at(router, `${DASHBOARD_PATH}/api/queues?activeQueue=jobs.invoices.dead-letter&status=waiting&page=1`), { headers });
  expect(api.status).toBe(200);
  const { queues: listed } = (await api.json()) as { queues: Array<{ name: string; readOnlyMode: boolean; jobs: Array<{ id: string }> }> };
  const names = listed.map((queue) => queue.name);
  expect(names).toEqual(expect.arrayContaining(['jobs.invoices', 'jobs.invoices.dead-letter', 'events.inventory']));
  const deadLetters = listed.find((queue) => queue.name === 'jobs.invoices.dead-letter');
  expect(deadLetters?.readOnlyMode).toBe(true);
  expect(deadLetters?.jobs.map((job) => job.id)).toEqual(['invoice-9']);
  expect(listed.find((queue) => queue.name === 'jobs.invoices')?.readOnlyMode).toBe(false);
});

it('opens a browser session from a bearer token as an HttpOnly cookie, and closes it', async () => {
  expect((await fetch(at(router, SESSION_PATH), { method: 'POST' })).status).toBe(401);
  expect((await fetch(at(router, SESSION_PATH), { method: 'POST', headers: { authorization: `Bearer ${await customerToken()}` } })).status).toBe(403);

  const token = await adminToken();
  const opened = await fetch(at(router, SESSION_PATH), { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  expect(opened.status).toBe(200);
  const cookie = opened.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=${token.replace(/\./g, '\\.')}; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=(89\\d|900)$`));
  // What the browser then sends to the page, its assets and its API: no Authorization header at all.
  expect((await fetch(at(router, `${DASHBOARD_PATH}/api/queues`), { headers: { cookie: `other=1; ${SESSION_COOKIE}=${token}` } })).status).toBe(200);

  const closed = await fetch(at(router, SESSION_PATH), { method: 'DELETE' });
  expect(closed.status).toBe(204);
  expect(closed.headers.get('set-cookie')).toContain('Max-Age=0');
});
