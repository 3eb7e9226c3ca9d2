/*
 * The browser tests' world: the real stack (every subgraph on its own fresh Postgres database, their workers on
 * a BullMQ prefix of this run, the router in safelist mode with the app's persisted-query manifest), the app's
 * production build served by its production server (web/server.ts) with the router behind it, and Debian's
 * Chromium driven by playwright-core.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { nameBasedUuid } from '@storefront/api-conventions';
import { REPO_ROOT } from '@storefront/config';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, type SeedPlan } from '@storefront/seed-world';
import { createLogger } from '@storefront/telemetry';
import { CACHING_OFF, startRouter, type RunningRouter } from '@storefront/router';
import { postGraphQL, type GraphQLResponse } from '@storefront/testing';
import { deleteQueueKeys } from '@storefront/events/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startStack, type TestStack } from '../../tests/support/stack.ts';
import { MANIFEST_PATH } from '../scripts/manifest.ts';
import { startWebServer } from '../server.ts';

const WEB = path.join(REPO_ROOT, 'web');
const VITE = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const silentLogger = createLogger({ service: 'web-e2e', level: 'silent' });
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const E2E_PLAN: SeedPlan = { users: 10, categories: 3, products: 80, warehouses: 2, orders: 20, wishlistItemsPerUser: 0 };
export const ADMIN: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);

export interface WebWorld {
  stack: TestStack;
  /**
   * A GraphQL request for the test itself (setup, checks), through a second router on the same subgraphs
   * without the safelist: the app's router runs only the app's operations.
   */
  query(query: string, variables?: Record<string, unknown>, viewer?: Viewer): Promise<GraphQLResponse>;
  webUrl: string;
  browser: Browser;
  /** A fresh browser profile (cookies, storage): one visitor. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Builds the app for production (vite build into web/dist), as the image does. */
export async function buildWeb(): Promise<void> {
  await promisify(execFile)(process.execPath, [VITE, 'build', '--config', path.join(WEB, 'vite.config.ts'), '--logLevel', 'warn'], { cwd: REPO_ROOT });
}

export async function startWebWorld(): Promise<WebWorld> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  // The workers every subgraph hosts use a queue prefix of this run only.
  const queuePrefix = `web-e2e-${randomUUID().slice(0, 8)}`;
  process.env.QUEUE_PREFIX = queuePrefix;
  process.env.SAGA_DEADLINE_SWEEP_MS ??= '500';
  const [stack] = await Promise.all([
    startStack(E2E_PLAN, { runWorkers: true, router: { cache: { ...CACHING_OFF, safelistPath: MANIFEST_PATH } } }),
    buildWeb(),
  ]);
  let web: Server | undefined;
  let browser: Browser | undefined;
  let testRouter: RunningRouter | undefined;
  try {
    testRouter = await startRouter({ ...stack.routerConfig, cache: CACHING_OFF, port: 0 }, silentLogger);
    const testRouterUrl = testRouter.url;
    while (!testRouter.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
    // The production build as production serves it (web/server.ts), the router behind it.
    web = await startWebServer({ dist: path.join(WEB, 'dist'), routerUrl: new URL(stack.routerUrl).origin, port: 0, host: '127.0.0.1' });
    const address = web.address();
    if (!address || typeof address !== 'object') throw new Error('the web server has no address');
    const webUrl = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const opened = browser;
    const served = web;
    const extra = testRouter;
    return {
      stack,
      query: async (query, variables, viewer) =>
        postGraphQL(testRouterUrl, { query, variables }, { token: viewer ? await stack.accessTokenFor(viewer) : undefined }),
      webUrl,
      browser: opened,
      newContext: () => opened.newContext({ baseURL: webUrl, viewport: { width: 1280, height: 900 } }),
      async close() {
        await opened.close();
        served.closeAllConnections();
        await new Promise((resolve) => served.close(resolve));
        await extra.close();
        await stack.close();
        await deleteQueueKeys(queuePrefix);
      },
    };
  } catch (error) {
    await browser?.close();
    web?.close();
    await testRouter?.close();
    await stack.close();
    throw error;
  }
}

const AXE_SOURCE = readFileSync(path.join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2 A/AA rules on the page as it is now: the serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}
