import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@storefront/config';
import type { SmtpCatcher } from '@storefront/notifications/mail-catcher';

/* What the deployment checks do once a stack is up, and the build they run it on. */

/** As the Dockerfile's build stage: the shop's assets and every process's JavaScript (once per test run). */
export function buildAsTheImageDoes(): void {
  const marker = path.join(tmpdir(), `storefront-deployment-build-${process.pid}`);
  if (existsSync(marker)) return;
  for (const script of ['web:build', 'build']) {
    const result = spawnSync('npm', ['run', script, '--silent'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`npm run ${script} failed:\n${result.stdout}\n${result.stderr}`);
  }
  writeFileSync(marker, '');
}

/** What `find` gives once it gives something, asked every 250 ms until `timeoutMs`. */
export async function eventually<T>(find: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Answer<Data> {
  data?: Data;
  errors?: Array<{ message: string }>;
}

/** A shopper at the shop's address (the web service, which passes /graphql on to the router). */
export class Shopper {
  constructor(private readonly shopUrl: string) {}

  async send<Data>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer<Data>> {
    const response = await fetch(`${this.shopUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    if (response.status !== 200) throw new Error(`POST /graphql answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Answer<Data>;
  }

  async signUp(email: string): Promise<string> {
    const answer = await this.send<{ signUp: { accessToken: string | null; errors: unknown[] } }>(
      'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken errors { code } } }',
      { input: { email, password: 'a deployment passphrase', name: 'Deployment Shopper' } },
    );
    const token = answer.data?.signUp.accessToken;
    if (!token) throw new Error(`sign-up failed: ${JSON.stringify(answer)}`);
    return token;
  }

  /** Signs up and waits for the welcome e-mail (accounts → its relay → notifications' consumer → SMTP). */
  async welcomeEmail(mail: SmtpCatcher): Promise<{ subject: string | null }> {
    const email = `deploy-${randomUUID().slice(0, 8)}@example.com`;
    await this.signUp(email);
    return eventually(() => mail.to(email)[0], 'the welcome e-mail', 60_000);
  }

  /** Buys one product in stock and waits for the checkout saga's end: the order's status and its payment's. */
  async checkout(): Promise<{ status: string; payment: { status: string } | null }> {
    const token = await this.signUp(`buyer-${randomUUID().slice(0, 8)}@example.com`);
    const products = await this.send<{ products: { edges: Array<{ node: { id: string; inStock: boolean } }> } }>('{ products(first: 20) { edges { node { id inStock } } } }');
    const product = products.data?.products.edges.map((edge) => edge.node).find((node) => node.inStock);
    if (!product) throw new Error(`no product in stock: ${JSON.stringify(products)}`);
    const placed = await this.send<{ placeOrder: { order: { id: string } | null; errors: unknown[] } }>(
      `mutation ($key: String!, $items: [OrderItemInput!]!) {
        placeOrder(input: { idempotencyKey: $key, items: $items, shippingAddress: { name: "Ada Lovelace", line1: "1 Main Street", city: "Berlin", postalCode: "10115", country: "DE" } }) {
          order { id } errors { code }
        }
      }`,
      { key: randomUUID(), items: [{ purchasableId: product.id, quantity: 1 }] },
      token,
    );
    const orderId = placed.data?.placeOrder.order?.id;
    if (!orderId) throw new Error(`placeOrder failed: ${JSON.stringify(placed)}`);
    return eventually(
      async () => {
        const answer = await this.send<{ order: { status: string; payment: { status: string } | null } | null }>('query ($id: ID!) { order(id: $id) { status payment { status } } }', { id: orderId }, token);
        const order = answer.data?.order;
        // The saga's end: PAID, or CANCELLED with its reason; PENDING and RESERVED are on the way.
        return order && ['PAID', 'FULFILLED', 'CANCELLED'].includes(order.status) ? order : undefined;
      },
      'the checkout saga to end',
      90_000,
    );
  }
}

export const TRACED_SERVICES = ['router', 'accounts', 'orders', 'accounts-worker', 'orders-worker'];

/** Which of TRACED_SERVICES have exported traces, once all have or after 60 s. */
export async function tracedServices(services: Set<string>): Promise<string[]> {
  await eventually(() => TRACED_SERVICES.every((service) => services.has(service)) || undefined, 'traces', 60_000).catch(() => undefined);
  return TRACED_SERVICES.filter((service) => services.has(service));
}
