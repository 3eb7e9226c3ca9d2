/*
 * A smoke check of `npm run dev` in a real browser: with the dev stack running, `npx tsx web/e2e/dev-smoke.ts
 * [shop URL]` (default http://localhost:5173) opens the shop in Debian's Chromium, waits for the catalog's
 * products, opens the first product's page and waits for its price, stock and reviews, and fails with the
 * page's text and console errors when any of that does not appear. Not part of `npm test` (which starts its own
 * stack, web/e2e/shop.test.ts): this is for checking a developer's running stack.
 */
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH } from './harness.ts';

const shop = process.argv[2] ?? 'http://localhost:5173';
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
const page = await browser.newPage({ baseURL: shop });
const problems: string[] = [];
page.on('console', (message) => {
  if (message.type() === 'error') problems.push(`console: ${message.text()}`);
});
page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
page.on('response', (response) => {
  if (response.status() >= 500) problems.push(`${response.status()} from ${response.url()}`);
});

const step = async (what: string, work: () => Promise<unknown>) => {
  const started = Date.now();
  try {
    await work();
    console.log(`ok   ${what} (${Date.now() - started} ms)`);
  } catch (error) {
    console.log(`FAIL ${what}: ${(error as Error).message.split('\n')[0]}`);
    console.log((await page.locator('body').innerText().catch(() => '')).slice(0, 1_500));
    throw error;
  }
};

try {
  await step(`the catalog at ${shop}`, async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Products' }).waitFor({ timeout: 30_000 });
    await page.locator('a.card-link').first().waitFor({ timeout: 30_000 });
  });
  const first = page.locator('a.card-link').first();
  const name = (await first.innerText()).split('\n')[0]?.trim() ?? '';
  await step(`the product page of “${name}”`, async () => {
    await first.click();
    await page.getByRole('heading', { level: 1 }).waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: 'Reviews' }).waitFor({ timeout: 30_000 });
    await page.locator('.shipping-estimate').waitFor({ timeout: 30_000 });
  });
  await step('the catalog ordered by rating', async () => {
    await page.goto('/?sort=TOP_RATED');
    await page.locator('a.card-link').first().waitFor({ timeout: 30_000 });
  });
  if (problems.length) throw new Error(`the pages loaded, but:\n${problems.join('\n')}`);
  console.log('the shop works in Chromium');
} finally {
  await browser.close();
}
