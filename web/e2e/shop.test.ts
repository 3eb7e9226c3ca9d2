import { randomUUID } from 'node:crypto';
import { seedProduct } from '@storefront/seed-world';
import { DeadLetterQueue, openQueue, queueConnectionFromEnv } from '@storefront/events';
import type { BrowserContext, Page } from 'playwright-core';
import { E2E_PLAN, seriousA11yViolations, startWebWorld, type WebWorld } from './harness.ts';

/*
 * The shop in a real browser against the real stack: a visitor signs up, searches, opens a product, adds it to
 * the cart, checks out and watches the order reach PAID, then downloads the invoice; a second tab sees the
 * order appear; a declined payment shows its reason and gives the stock back. axe-core checks each page.
 */

let world: WebWorld;
let context: BrowserContext;
let page: Page;
const email = `e2e-${randomUUID().slice(0, 8)}@example.com`;
const a11y: Record<string, string[]> = {};
/** What the page's WebSockets to /graphql received (graphql-ws messages), for the bell's live count. */
const socketMessages: string[] = [];

beforeAll(async () => {
  world = await startWebWorld();
  context = await world.newContext();
  page = await context.newPage();
  page.on('websocket', (socket) => {
    if (new URL(socket.url()).pathname === '/graphql') socket.on('framereceived', ({ payload }) => socketMessages.push(String(payload)));
  });
}, 240_000);
afterAll(() => world?.close());

/** Records serious accessibility violations of the page as it is now, checked together at the end. */
async function checkA11y(name: string, on: Page = page): Promise<void> {
  const violations = await seriousA11yViolations(on);
  a11y[name] = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

interface ProductFacts {
  id: string;
  name: string;
  available: number;
}

/** A seeded product in stock, found through the router, with a word of its name to search for. */
async function productInStock(skip = 0): Promise<ProductFacts> {
  let found = 0;
  for (let i = 0; i < E2E_PLAN.products; i += 1) {
    const product = seedProduct(i, E2E_PLAN);
    const answer = await world.query('query($sku: String!) { product(sku: $sku) { id name inStock stock { available } } }', { sku: product.sku });
    const facts = answer.body.data?.product as { id: string; name: string; inStock: boolean; stock: { available: number } } | null;
    if (facts?.inStock && facts.stock.available >= 5 && found++ === skip) return { id: facts.id, name: facts.name, available: facts.stock.available };
  }
  throw new Error('no seeded product in stock');
}

async function available(productId: string): Promise<number> {
  const answer = await world.query('query($id: ID!) { product(id: $id) { stock { available } } }', { id: productId });
  return (answer.body.data?.product as { stock: { available: number } }).stock.available;
}

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await probe();
  }
  return value;
}

async function checkOut(): Promise<void> {
  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.getByRole('heading', { name: 'Your cart' }).waitFor();
  await checkA11y('cart');
  await page.getByRole('link', { name: 'Check out' }).click();
  await page.getByRole('heading', { name: 'Checkout' }).waitFor();
  await page.getByLabel('Address', { exact: true }).fill('1 Main Street');
  await page.getByLabel('City').fill('Berlin');
  await page.getByLabel('Postal code').fill('10115');
  await page.getByLabel('Country').fill('DE');
  await checkA11y('checkout');
  // A double click places one order: the same idempotency key, and the second click is ignored while in flight.
  await page.getByRole('button', { name: 'Place order' }).dblclick();
  await page.waitForURL(/\/orders\//);
}

describe('serving', () => {
  it('serves hashed assets for a year, the page revalidated, and the app on its own routes', async () => {
    const html = await fetch(`${world.webUrl}/products/anything`);
    expect(html.headers.get('cache-control')).toBe('no-cache');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await html.text())?.[1];
    const asset = await fetch(`${world.webUrl}${script}`);
    expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
    expect((await fetch(`${world.webUrl}/assets/missing.js`)).status).toBe(404);
  });
});

describe('a visitor buys a product', () => {
  let product: ProductFacts;
  let orderUrl: string;

  it('signs up', async () => {
    product = await productInStock();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Products' }).waitFor();
    await checkA11y('catalog');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await checkA11y('sign in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create your account' }).click();
    // The InputError is shown at its field.
    await page.getByText('Password is too short.').waitFor();
    await checkA11y('sign up with an error');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create your account' }).click();
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    // The refresh token is in an HttpOnly cookie no script can read; the page keeps only the access token.
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'storefront_refresh')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/session' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).toBe('{}');
  });

  it('stays signed in across a reload (the refresh cookie is exchanged and rotated)', async () => {
    const before = (await context.cookies()).find((cookie) => cookie.name === 'storefront_refresh')?.value;
    await page.reload();
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    const after = (await context.cookies()).find((cookie) => cookie.name === 'storefront_refresh')?.value;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });

  it('searches and opens the product page, whose reviews and shipping estimate are deferred', async () => {
    const word = product.name.split(' ')[0]!;
    await page.getByRole('searchbox', { name: 'Search products' }).first().fill(word);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('heading', { name: `Results for “${word}”` }).waitFor();
    await page.getByRole('link', { name: product.name }).click();
    await page.getByRole('heading', { name: product.name, level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Reviews' }).waitFor();
    await page.locator('.shipping-estimate').waitFor();
    await page.getByLabel('Ship to').selectOption('FR');
    await page.locator('.shipping-estimate').waitFor();
    await checkA11y('product');
  });

  it('adds it to the cart', async () => {
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('link', { name: 'Cart 1 item' }).waitFor();
  });

  it('checks out, sees PAID arrive live, and downloads the invoice; a second tab sees the order appear', async () => {
    const second = await context.newPage();
    await second.goto('/account');
    await second.getByRole('heading', { name: 'Your orders' }).waitFor();
    // The progress comes from the router's orderUpdated subscription, over multipart HTTP.
    const subscriptions: string[] = [];
    page.on('request', (request) => {
      if ((request.headers().accept ?? '').includes('subscriptionSpec')) subscriptions.push(request.postData() ?? '');
    });
    await checkOut();
    orderUrl = page.url();
    const status = page.getByTestId('order-status');
    await status.filter({ hasText: 'Paid' }).waitFor({ timeout: 30_000 });
    await checkA11y('order');
    const invoice = page.getByTestId('invoice-link');
    await invoice.waitFor({ timeout: 30_000 });
    const href = await invoice.getAttribute('href');
    const pdf = await page.request.get(href!);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toContain('application/pdf');
    expect((await pdf.body()).subarray(0, 4).toString()).toBe('%PDF');
    expect(subscriptions.some((body) => body.includes('subscription OrderUpdated'))).toBe(true);
    const number = (await page.getByRole('heading', { level: 1 }).textContent())!.replace('Order ', '');
    await second.getByTestId('order-list').getByText(`Order ${number}`).waitFor({ timeout: 15_000 });
    await second.close();
  });

  it('placed exactly one order for the double click', async () => {
    await page.goto('/account');
    await page.getByRole('heading', { name: 'Your orders' }).waitFor();
    expect(await page.getByTestId('order-list').locator('li').count()).toBe(1);
    await checkA11y('account');
    expect(orderUrl).toMatch(/\/orders\//);
  });

  it('adds an address, with an invalid postal code shown at its field first', async () => {
    const form = page.getByRole('form', { name: 'Add an address' });
    await form.getByLabel('Label').fill('Home');
    await form.getByLabel('Address', { exact: true }).fill('1 Main Street');
    await form.getByLabel('City').fill('Berlin');
    await form.getByLabel('Postal code').fill('10115!');
    await form.getByRole('button', { name: 'Add address' }).click();
    await form.locator('#new-address-postalCode-error').waitFor();
    expect(await form.getByLabel('Postal code').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Postal code').fill('10115');
    await form.getByLabel('Make this my default address').check();
    await form.getByRole('button', { name: 'Add address' }).click();
    await page.getByRole('button', { name: 'Remove Home' }).waitFor();
  });

  it('reviews the product it bought, once the order is PAID, and sees the review on the product page', async () => {
    // reviews learns the purchase from orders' OrderStatusChanged to PAID (its items), a hop after the PAID shown
    // above; the form says NOT_PURCHASED until then, so a shopper that quick would simply publish again.
    await page.goto(`/products/${product.id}`);
    await page.getByRole('heading', { name: 'Write a review' }).waitFor();
    await page.getByLabel('Title').fill('Exactly as described');
    await page.getByLabel('Review', { exact: true }).fill('Arrived quickly and works well.');
    const thanks = page.getByRole('status').filter({ hasText: 'Thank you for your review.' });
    const deadline = Date.now() + 20_000;
    for (;;) {
      await page.getByRole('button', { name: 'Publish review' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'You can only review what you have bought' });
      await Promise.race([thanks.waitFor(), refused.waitFor()]);
      if (await thanks.isVisible()) break;
      if (Date.now() > deadline) throw new Error('the review was still refused as not purchased 20 s after PAID');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // The page refetched: the review is listed under the buyer's name.
    const listed = page.locator('li.review').filter({ hasText: 'Exactly as described' }).filter({ hasText: 'Ada Lovelace · verified purchase' });
    await listed.first().waitFor();
    await checkA11y('product with own review');
  });

  it('lists the order notifications with an unread count', async () => {
    await page.getByRole('link', { name: /^Notifications/ }).first().click();
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
    await page.getByText(/unread/).first().waitFor();
    await checkA11y('notifications');
  });
});

describe('signing out', () => {
  it('ends the session: the cookie is gone and a reload stays signed out; a wrong password is refused', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect((await context.cookies()).find((cookie) => cookie.name === 'storefront_refresh')).toBeUndefined();
    await page.reload();
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Email or password is incorrect' }).waitFor();
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
  });
});

/** The header bell's unread count as shown (no badge is 0). */
async function bellCount(): Promise<number> {
  const badge = page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: /^Notifications/ }).locator('.count');
  return (await badge.count()) ? Number(await badge.textContent()) : 0;
}

describe('a declined payment', () => {
  it('shows the reason and gives the stock back; the bell counts the cancellation live', async () => {
    // The payment simulator declines totals ending in 13 cents: a seeded product and quantity that make one.
    const { product, quantity } = await declinedPurchase();
    const unreadBefore = await bellCount();
    const before = await available(product.id);
    await page.goto(`/products/${product.id}`);
    await page.getByRole('heading', { name: product.name, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('link', { name: 'Cart 1 item' }).waitFor();
    await page.getByRole('link', { name: /^Cart/ }).click();
    for (let n = 2; n <= quantity; n += 1) {
      await page.getByRole('button', { name: `One more ${product.name}` }).click();
      await page.getByRole('link', { name: `Cart ${n} items` }).waitFor();
    }
    // From here on the count must come from the subscription: no reload, and no UnreadCount over HTTP (the
    // bell polls only while its socket is down).
    const countRequests: string[] = [];
    const onRequest = (request: { postData(): string | null }) => {
      if ((request.postData() ?? '').includes('"UnreadCount"')) countRequests.push(request.postData()!);
    };
    page.on('request', onRequest);
    const loads: string[] = [];
    page.on('load', () => loads.push(page.url()));
    await checkOut();
    await page.getByTestId('order-status').filter({ hasText: 'Cancelled' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('cancel-reason').textContent()).toContain('The payment was declined');
    expect(await eventually(bellCount, (count) => count === unreadBefore + 1, 15_000)).toBe(unreadBefore + 1);
    page.off('request', onRequest);
    expect(socketMessages.some((message) => message.includes('"notificationAdded"'))).toBe(true);
    expect(countRequests).toEqual([]);
    expect(loads).toEqual([]);
    expect(await eventually(() => available(product.id), (value) => value === before)).toBe(before);
  });
});

async function declinedPurchase(): Promise<{ product: ProductFacts; quantity: number }> {
  for (let i = 0; i < E2E_PLAN.products; i += 1) {
    const { sku } = seedProduct(i, E2E_PLAN);
    const answer = await world.query('query($sku: String!) { product(sku: $sku) { id name price { amount } stock { available } } }', { sku });
    const facts = answer.body.data?.product as { id: string; name: string; price: { amount: number }; stock: { available: number } } | null;
    if (!facts) continue;
    for (let quantity = 1; quantity <= Math.min(facts.stock.available, 12); quantity += 1) {
      if ((facts.price.amount * quantity) % 100 === 13) return { product: { id: facts.id, name: facts.name, available: facts.stock.available }, quantity };
    }
  }
  throw new Error('no seeded product and quantity with a total ending in 13 cents: change E2E_PLAN');
}

describe('the back office', () => {
  let admin: Page;
  beforeAll(async () => {
    admin = await (await world.newContext()).newPage();
    admin.on('pageerror', (error) => console.error('admin page error:', error.message));
    admin.on('console', (message) => message.type() === 'error' && console.error('admin console:', message.text()));
    admin.on('response', (response) => response.status() >= 400 && console.error('admin http:', response.status(), response.url()));
    await admin.goto('/sign-in');
    await admin.getByLabel('E-mail').fill('admin@example.com');
    await admin.getByLabel('Password').fill('storefront-demo');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('link', { name: 'Admin', exact: true }).click();
    await admin
      .getByRole('heading', { name: 'Back office' })
      .waitFor()
      .catch(async (error: unknown) => {
        console.error('admin page:', (await admin.locator('body').innerText()).slice(0, 500));
        throw error;
      });
  });

  it('lists orders by status', async () => {
    await admin.getByLabel('Status').selectOption('CANCELLED');
    await admin.getByRole('cell', { name: /The payment was declined/ }).first().waitFor();
    await checkA11y('admin orders', admin);
  });

  it('imports a CSV and watches the progress bar reach 100 %, with the refused lines listed', async () => {
    const categories = await world.query('{ categories(first: 1) { edges { node { slug } } } }');
    const slug = (categories.body.data?.categories as { edges: { node: { slug: string } }[] }).edges[0]!.node.slug;
    const rows = Array.from({ length: 40 }, (_, i) => `E2E-${String(i).padStart(4, '0')},Imported lamp ${i},${1000 + i},EUR,${slug},${500 + i}`);
    const csv = ['sku,name,price,currency,category,weight_grams', ...rows, 'bad sku,Broken row,12,EUR,no-such-category,5'].join('\n');
    await admin.getByRole('link', { name: 'Product import' }).click();
    await admin.getByLabel('CSV file').setInputFiles({ name: 'products.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await admin.getByRole('button', { name: 'Upload and import' }).click();
    const bar = admin.getByTestId('import-progress');
    await bar.waitFor();
    await admin.waitForFunction(() => (document.querySelector('[data-testid="import-progress"]') as HTMLProgressElement | null)?.value === 100, undefined, { timeout: 30_000 });
    await admin.getByText(/40 imported, 1 refused/).waitFor({ timeout: 10_000 });
    await admin.getByRole('table', { name: 'Refused lines' }).getByRole('cell', { name: '42' }).waitFor();
    await checkA11y('admin import', admin);
    const imported = await world.query('{ product(sku: "E2E-0007") { name } }');
    expect(imported.body.data?.product).toEqual({ name: 'Imported lamp 7' });
  });

  it('makes the sales report and offers its download', async () => {
    await admin.getByRole('link', { name: 'Sales report' }).click();
    await admin.getByRole('button', { name: 'Make the report' }).click();
    await admin.getByRole('link', { name: /Download the report/ }).waitFor({ timeout: 30_000 });
    const href = await admin.getByRole('link', { name: /Download the report/ }).getAttribute('href');
    const csv = await admin.request.get(href!);
    expect(csv.status()).toBe(200);
  });

  it('requeues a dead letter, which goes back to its work queue', async () => {
    const queues = queueConnectionFromEnv(process.env);
    const queue = 'jobs.web-e2e';
    const letters = new DeadLetterQueue(queue, queues);
    await letters.record({ id: 'job-1', name: 'render', data: { n: 1 }, opts: { attempts: 3 } }, new Error('the renderer crashed'), 3, false);
    await admin.getByRole('link', { name: 'Dead letters' }).click();
    await admin.getByRole('cell', { name: /the renderer crashed/ }).waitFor();
    await checkA11y('admin dead letters', admin);
    await admin.getByRole('button', { name: 'Requeue render job-1' }).click();
    await admin.getByRole('status').filter({ hasText: 'Requeued job-1.' }).waitFor();
    await admin.getByRole('cell', { name: /the renderer crashed/ }).waitFor({ state: 'detached' });
    const work = openQueue(queue, queues);
    expect(await work.getJob('job-1')).toMatchObject({ name: 'render' });
    await Promise.all([work.close(), letters.close()]);
  });
});

describe('accessibility', () => {
  it('has no serious or critical axe-core violations on any page visited', () => {
    expect(Object.keys(a11y).length).toBeGreaterThanOrEqual(8);
    expect(a11y).toEqual(Object.fromEntries(Object.keys(a11y).map((name) => [name, []])));
  });
});
