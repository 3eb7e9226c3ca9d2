import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { REPO_ROOT } from '@storefront/common';
import { appServices, type ComposeFile } from '../infrastructure/support/checks.ts';
import { COMPOSE_FILE } from '../infrastructure/support/paths.ts';
import { loadYamlDocument } from '../infrastructure/support/yaml.ts';
import { runCompose, type ComposeRun } from './support/compose-as-processes.ts';

/*
 * The compose stack proven without a Docker engine: docker-compose.yml's own commands, environment, start order
 * and healthchecks, run as local processes (support/compose-as-processes.ts) on the JavaScript the image would
 * hold, built the way the Dockerfile builds it. A shopper then goes through the shop's web service: signs up and
 * gets the welcome e-mail (accounts → its worker's relay → notifications' worker → SMTP), and, on the demo data
 * the seed job loads, places an order that the saga takes to PAID.
 */

const compose = loadYamlDocument(COMPOSE_FILE) as ComposeFile;

/** What `find` gives once it gives something, asked every 250 ms until `timeoutMs`. */
async function eventually<T>(find: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
let stack: ComposeRun;

function build(script: string): void {
  const result = spawnSync('npm', ['run', script, '--silent'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run ${script} failed:\n${result.stdout}\n${result.stderr}`);
}

beforeAll(async () => {
  // As the Dockerfile's build stage: the shop's assets and every process's JavaScript.
  build('web:build');
  build('build');
  stack = await runCompose(compose, { label: 'compose' });
}, 420_000);

afterAll(() => stack?.close());

async function send<Data>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<{ data?: Data; errors?: Array<{ message: string }> }> {
  const response = await fetch(`${stack.urlOf('web')}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { data?: Data; errors?: Array<{ message: string }> };
}

it('starts every service compose runs from the image, each healthy by its own healthcheck', () => {
  const declared = appServices(compose)
    .filter(([, service]) => !(service as { profiles?: string[] }).profiles?.length)
    .map(([name]) => name);
  expect([...stack.started].sort()).toEqual([...declared].sort());
  expect(declared).toEqual(expect.arrayContaining(['migrate', 'router', 'web', 'accounts-worker', 'notifications-worker']));
});

it('a new shopper signs up through the shop and gets the welcome e-mail', async () => {
  const email = `compose-${randomUUID().slice(0, 8)}@example.com`;
  const answer = await send<{ signUp: { accessToken: string | null; errors: unknown[] } }>(
    'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken errors { code } } }',
    { input: { email, password: 'a compose passphrase', name: 'Compose Shopper' } },
  );
  expect(answer.errors).toBeUndefined();
  expect(answer.data?.signUp.errors).toEqual([]);
  const welcome = await eventually(() => stack.mail.to(email)[0], 'the welcome e-mail', 60_000);
  expect(welcome.subject).toMatch(/welcome/i);
});

it('on the seeded demo data, an order placed through the shop is PAID', async () => {
  await stack.runOnce('seed');
  const email = `buyer-${randomUUID().slice(0, 8)}@example.com`;
  const session = await send<{ signUp: { accessToken: string } }>('mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken } }', {
    input: { email, password: 'a compose passphrase', name: 'Compose Buyer' },
  });
  const token = session.data?.signUp.accessToken;
  expect(token).toEqual(expect.any(String));
  const products = await send<{ products: { edges: Array<{ node: { id: string; inStock: boolean } }> } }>('{ products(first: 20) { edges { node { id inStock } } } }');
  const product = products.data?.products.edges.map((edge) => edge.node).find((node) => node.inStock);
  expect(product).toBeDefined();
  const placed = await send<{ placeOrder: { order: { id: string } | null; errors: unknown[] } }>(
    `mutation ($key: String!, $items: [OrderItemInput!]!) {
      placeOrder(input: { idempotencyKey: $key, items: $items, shippingAddress: { name: "Ada Lovelace", line1: "1 Main Street", city: "Berlin", postalCode: "10115", country: "DE" } }) {
        order { id } errors { code }
      }
    }`,
    { key: randomUUID(), items: [{ purchasableId: product?.id, quantity: 1 }] },
    token,
  );
  expect(placed.data?.placeOrder.errors).toEqual([]);
  const orderId = placed.data?.placeOrder.order?.id;
  const status = await eventually(
    async () => {
      const answer = await send<{ order: { status: string; payment: { status: string } | null } | null }>('query ($id: ID!) { order(id: $id) { status payment { status } } }', { id: orderId }, token);
      const order = answer.data?.order;
      // The saga's end: PAID, or CANCELLED with its reason; PENDING and RESERVED are on the way.
      return order && ['PAID', 'FULFILLED', 'CANCELLED'].includes(order.status) ? order : undefined;
    },
    'the checkout saga to end',
    90_000,
  );
  expect(status).toEqual({ status: 'PAID', payment: { status: 'CAPTURED' } });
});

it('every process exports its traces to the collector compose names', async () => {
  const expected = ['router', 'accounts', 'orders', 'accounts-worker', 'orders-worker'];
  await eventually(() => expected.every((service) => stack.traces.services.has(service)) || undefined, `traces from ${expected.join(', ')}`, 60_000).catch(() => undefined);
  expect([...stack.traces.services]).toEqual(expect.arrayContaining(expected));
});
