/*
 * npm run dev — the whole stack on this machine, one command:
 *   1. composes schema/supergraph.graphql (and again whenever a subgraph's schema.graphql changes);
 *   2. prepares each subgraph's own database — Postgres when POSTGRES_URL or <NAME>_DATABASE_URL is set,
 *      otherwise embedded PGlite under .data/ — applying migrations and seeding demo data into new ones;
 *   3. runs every subgraph, its workers (inside the subgraph's process on the embedded database, as one
 *      workers process on Postgres) and the router (restarted on code changes), with one prefixed log stream; the
 *      router signs the identity it forwards with an Ed25519 key pair made fresh for this run, whose public
 *      half every subgraph gets (ROUTER_IDENTITY_PRIVATE_KEY / ROUTER_IDENTITY_PUBLIC_KEY);
 *   4. catches the store's e-mail like compose's Mailpit does, on the same ports: SMTP on 1025, the inbox on
 *      http://localhost:8025 (unless SMTP_URL is set, or something — Mailpit itself — already has port 1025);
 *   5. serves the shop (web/) with Vite on http://localhost:5173 (WEB_PORT), proxying the router.
 * Flags: --no-seed (leave new databases empty).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listSubgraphs, REPO_ROOT, type SubgraphPackage } from '@storefront/config';
import { SEED_PLANS } from '@storefront/seed-world';
import { databaseTargetFor, ensureDatabaseExists, openDatabase, targetEnv, type SeedFunction } from '@storefront/prisma-tools';
import { compose, sourcesFromWorkspace, SUPERGRAPH_PATH } from '@storefront/schema';
import { WORKER_SERVICES } from '@storefront/workers';
import { serveMailInbox, startSmtpCatcher, type MailInbox, type SmtpCatcher } from '@storefront/notifications/mail-catcher';

const { values } = parseArgs({ options: { 'no-seed': { type: 'boolean', default: false } } });
const ROUTER_PORT = Number(process.env.ROUTER_PORT ?? 4000);
const COLORS = [36, 35, 33, 32, 34, 91, 92, 93, 94, 95];
const children = new Map<string, ChildProcess>();
/** Log prefixes line up under the longest process name. */
const LABEL_WIDTH = Math.max('router'.length, ...listSubgraphs().map((subgraph) => subgraph.name.length)) + 1;
let shuttingDown = false;

function say(message: string): void {
  process.stdout.write(`\x1b[1m[dev]\x1b[0m ${message}\n`);
}

function prefixLines(name: string, color: number, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  const label = `\x1b[${color}m${name.padEnd(LABEL_WIDTH)}|\x1b[0m `;
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) out.write(`${label}${line}\n`);
  });
  stream.on('end', () => pending && out.write(`${label}${pending}\n`));
}

function run(name: string, color: number, entry: string, env: Record<string, string>, args: string[] = []): void {
  const child = spawn(process.execPath, ['--import', 'tsx', '--watch', '--watch-preserve-output', entry, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'development', LOG_FORMAT: 'pretty', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  if (child.stdout) prefixLines(name, color, child.stdout, process.stdout);
  if (child.stderr) prefixLines(name, color, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!shuttingDown) say(`${name} exited (${signal ?? code}); fix the error above and save a file to restart it`);
  });
}

function recompose(): boolean {
  const result = compose(sourcesFromWorkspace());
  if (!result.ok) {
    say(`composition failed, the router keeps the previous supergraph:\n  ${result.errors.join('\n  ')}`);
    return false;
  }
  writeFileSync(SUPERGRAPH_PATH, result.supergraphSdl);
  return true;
}

/** Migrates the subgraph's database and seeds it when this run created it. */
async function prepareDatabase(subgraph: SubgraphPackage): Promise<Record<string, string>> {
  if (!subgraph.database) return {};
  const target = databaseTargetFor(subgraph.name);
  const isNew = target.kind === 'postgres' ? await ensureDatabaseExists(target.url) : !existsSync(target.dataDir);
  const database = await openDatabase({ target, migrationsDir: subgraph.migrationsDir, migrate: true, poolSize: 4 });
  try {
    if (database.appliedMigrations.length) say(`${subgraph.name}: applied ${database.appliedMigrations.join(', ')}`);
    if (isNew && !values['no-seed']) {
      const { default: seed } = (await import(subgraph.seedPath)) as { default: SeedFunction };
      await seed(database.adapter, SEED_PLANS.demo, (message) => say(`${subgraph.name}: seeded ${message}`));
    }
  } finally {
    await database.close();
  }
  say(`${subgraph.name}: ${database.description}`);
  return targetEnv(target);
}

async function waitUntilUp(urls: string[], timeoutMs = 120_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !shuttingDown) {
    const states = await Promise.all(urls.map((url) => fetch(url).then((r) => r.ok, () => false)));
    if (states.every(Boolean)) return true;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return false;
}

const MAIL_PORTS = { smtp: 1025, http: 8025 };
let mail: { catcher: SmtpCatcher; inbox: MailInbox } | undefined;

const inUse = (error: unknown) => (error as NodeJS.ErrnoException).code === 'EADDRINUSE';

/** The SMTP_URL the notifications workers get: the given one, this run's catcher, or a Mailpit already up. */
async function mailDestination(): Promise<string> {
  if (process.env.SMTP_URL) return process.env.SMTP_URL;
  const smtpUrl = `smtp://127.0.0.1:${MAIL_PORTS.smtp}`;
  let catcher: SmtpCatcher;
  try {
    // Like a real relay that keeps Message-IDs, this one drops a resent message it already has, so a worker
    // killed mid-delivery may resend (SMTP_DEDUPLICATES_MESSAGE_ID) instead of dead-lettering the e-mail.
    catcher = await startSmtpCatcher({ port: MAIL_PORTS.smtp, dedupeMessageIds: true });
  } catch (error) {
    if (!inUse(error)) throw error;
    say(`port ${MAIL_PORTS.smtp} is taken (Mailpit?): e-mail goes to ${smtpUrl}`);
    return smtpUrl;
  }
  const inbox = await serveMailInbox(catcher, { port: MAIL_PORTS.http }).catch((error: unknown) => {
    if (inUse(error)) return serveMailInbox(catcher); // any free port
    throw error;
  });
  mail = { catcher, inbox };
  process.env.SMTP_DEDUPLICATES_MESSAGE_ID ??= 'true';
  say(`e-mail is caught: open ${inbox.url.replace('127.0.0.1', 'localhost')} (bounce-*@ addresses are refused, to watch a dead letter)`);
  return smtpUrl;
}

function shutdown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping…');
  void mail?.inbox.close();
  void mail?.catcher.close();
  for (const child of children.values()) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }, 15_000);
  force.unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(0);
    }
  }, 100);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

const subgraphs = listSubgraphs();
if (!recompose()) process.exit(1);
// Ephemeral: lives only in the children's environment, so nothing outside this run can sign as the router.
const identityKeys = generateKeyPairSync('ed25519');
const ROUTER_IDENTITY_PUBLIC_KEY = identityKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const ROUTER_IDENTITY_PRIVATE_KEY = identityKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const SMTP_URL = await mailDestination();
const MAIL_DEDUPLICATION: Record<string, string> = process.env.SMTP_DEDUPLICATES_MESSAGE_ID ? { SMTP_DEDUPLICATES_MESSAGE_ID: process.env.SMTP_DEDUPLICATES_MESSAGE_ID } : {};
const envs: Record<string, string>[] = [];
for (const subgraph of subgraphs) envs.push(await prepareDatabase(subgraph));

// Workers: an embedded database belongs to its subgraph's process, so that process hosts the service's workers
// (RUN_WORKERS); services on Postgres get the production shape, one workers process beside them.
const embedded = (i: number) => envs[i]?.DATA_DIR !== undefined;
subgraphs.forEach((subgraph, i) => {
  run(subgraph.name, COLORS[i % COLORS.length] ?? 0, path.join(subgraph.dir, 'src', 'main.ts'), {
    ...envs[i],
    PORT: String(subgraph.port),
    MIGRATE_ON_START: 'false',
    RUN_WORKERS: String(embedded(i)),
    ROUTER_IDENTITY_PUBLIC_KEY,
    SMTP_URL,
    ...MAIL_DEDUPLICATION,
  });
});
const workerServices = new Set(WORKER_SERVICES.map((service) => service.name));
const onPostgres = subgraphs.filter((subgraph, i) => workerServices.has(subgraph.name) && !embedded(i)).map((subgraph) => subgraph.name);
if (onPostgres.length) run('workers', 2, path.join(REPO_ROOT, 'workers', 'src', 'main.ts'), { WORKER_PORT: '4100', SMTP_URL, ...MAIL_DEDUPLICATION }, onPostgres);
// The queue dashboard (/admin/queues, admins only) is opt-in for a gateway; on for local development.
run('router', 1, path.join(REPO_ROOT, 'router', 'src', 'main.ts'), { PORT: String(ROUTER_PORT), ROUTER_IDENTITY_PRIVATE_KEY, ROUTER_QUEUE_DASHBOARD: 'true' });

// The shop (web/): Vite with hot reload, /graphql, /session and /files proxied to the router (web/vite.config.ts).
const WEB_PORT = Number(process.env.WEB_PORT ?? 5173);
const vite = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), '--config', path.join(REPO_ROOT, 'web', 'vite.config.ts')], {
  cwd: REPO_ROOT,
  env: { ...process.env, ROUTER_URL: `http://localhost:${ROUTER_PORT}`, WEB_PORT: String(WEB_PORT) },
  stdio: ['ignore', 'pipe', 'pipe'],
});
children.set('web', vite);
if (vite.stdout) prefixLines('web', 96, vite.stdout, process.stdout);
if (vite.stderr) prefixLines('web', 96, vite.stderr, process.stderr);
vite.on('exit', (code, signal) => {
  children.delete('web');
  if (!shuttingDown) say(`web (Vite) exited (${signal ?? code})`);
});

// The router hot-reloads the supergraph file, so editing a schema.graphql shows up without restarts.
let composeTimer: NodeJS.Timeout | undefined;
for (const subgraph of subgraphs) {
  watch(path.dirname(subgraph.sdlPath), (_event, file) => {
    if (file !== path.basename(subgraph.sdlPath)) return;
    clearTimeout(composeTimer);
    composeTimer = setTimeout(() => recompose() && say(`recomposed after a change in ${subgraph.name}`), 200);
  });
}

const up = await waitUntilUp([
  `http://localhost:${ROUTER_PORT}/ready`,
  ...subgraphs.map((subgraph) => `http://localhost:${subgraph.port}/ready`),
]);
if (up) {
  say(`the shop is at http://localhost:${WEB_PORT} (sign in as admin@example.com / storefront-demo, or sign up)`);
  const embeddedOnes = subgraphs.filter((_subgraph, i) => embedded(i)).map((subgraph) => subgraph.name);
  if (embeddedOnes.length) {
    // The subscription feeds need a LISTEN connection beside the subgraph's own, which one-connection PGlite
    // cannot give: subscriptions answer SERVICE_UNAVAILABLE there, and the shop polls instead.
    say(`embedded PGlite (${embeddedOnes.join(', ')}): subscriptions are not served, so the shop shows checkout`);
    say('  progress and the notification bell by polling, not live. For live updates run on Postgres:');
    say('  POSTGRES_URL=postgres://postgres@localhost:5432/postgres npm run dev');
  }
  say(`the stack is up — open http://localhost:${ROUTER_PORT}/graphql for Apollo Sandbox, or try:`);
  say(`  curl -s localhost:${ROUTER_PORT}/graphql -H 'content-type: application/json' \\`);
  say(`    -d '{"query":"{ products(first: 3) { edges { node { name price { amount currency } category { name } } } } }"}'`);
}
