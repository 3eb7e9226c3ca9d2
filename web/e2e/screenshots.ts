/*
 * The README's screenshots of the shop: `npx tsx web/e2e/screenshots.ts` starts the browser tests' world,
 * walks a seeded customer and the admin through the main pages and writes docs/screenshots/*.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@storefront/config';
import { seedUser } from '@storefront/seed-world';
import { E2E_PLAN, startWebWorld } from './harness.ts';

const OUT = path.join(REPO_ROOT, 'docs', 'screenshots');
mkdirSync(OUT, { recursive: true });
const world = await startWebWorld();
try {
  const context = await world.browser.newContext({ baseURL: world.webUrl, viewport: { width: 1200, height: 820 } });
  const page = await context.newPage();
  const shot = (name: string) => page.screenshot({ path: path.join(OUT, `${name}.png`) });
  const customer = seedUser(1, E2E_PLAN);
  await page.goto('/sign-in');
  await page.getByLabel('E-mail').fill(customer.email);
  await page.getByLabel('Password').fill('storefront-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: customer.name }).waitFor();
  await page.goto('/');
  await page.locator('.card').first().waitFor();
  await shot('catalog');
  await page.locator('.card-link').nth(1).click();
  await page.locator('.shipping-estimate').waitFor();
  await page.getByRole('heading', { name: 'Reviews' }).waitFor();
  await shot('product');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByRole('link', { name: /^Cart 1 item/ }).waitFor();
  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.getByRole('heading', { name: 'Your cart' }).waitFor();
  await shot('cart');
  await page.getByRole('link', { name: 'Check out' }).click();
  await page.getByLabel('Address', { exact: true }).fill('1 Main Street');
  await page.getByLabel('City').fill('Berlin');
  await page.getByLabel('Postal code').fill('10115');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.getByTestId('invoice-link').waitFor({ timeout: 30_000 });
  await shot('order-paid');
  await page.goto('/account');
  await page.getByTestId('order-list').locator('li').first().waitFor();
  await shot('account');

  const admin = await (await world.browser.newContext({ baseURL: world.webUrl, viewport: { width: 1200, height: 820 } })).newPage();
  await admin.goto('/sign-in');
  await admin.getByLabel('E-mail').fill('admin@example.com');
  await admin.getByLabel('Password').fill('storefront-demo');
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.getByRole('link', { name: 'Admin', exact: true }).click();
  await admin.getByRole('link', { name: 'Product import' }).click();
  const categories = await world.query('{ categories(first: 1) { edges { node { slug } } } }');
  const slug = (categories.body.data?.categories as { edges: { node: { slug: string } }[] }).edges[0]?.node.slug ?? '';
  const rows = Array.from({ length: 20 }, (_, i) => `SHOT-${String(i).padStart(4, '0')},Desk lamp ${i},${2990 + i},EUR,${i % 9 === 4 ? 'no-such-category' : slug},900`);
  await admin.getByLabel('CSV file').setInputFiles({ name: 'products.csv', mimeType: 'text/csv', buffer: Buffer.from(['sku,name,price,currency,category,weight_grams', ...rows].join('\n')) });
  await admin.getByRole('button', { name: 'Upload and import' }).click();
  await admin.getByText(/refused\./).waitFor({ timeout: 30_000 });
  await admin.getByText('Import succeeded: 100 %').waitFor({ timeout: 30_000 });
  await admin.screenshot({ path: path.join(OUT, 'admin-import.png') });
  console.log(`screenshots in ${path.relative(REPO_ROOT, OUT)}`);
} finally {
  await world.close();
}
