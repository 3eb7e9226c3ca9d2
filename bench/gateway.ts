/*
 * npm run bench:gateway — the public GraphQL gateways benchmark (graphql-hive/graphql-gateways-benchmark, MIT,
 * fixtures in bench/gateway-fixtures/) on this machine, three contenders in one run:
 *   (a) plain @apollo/gateway inside @apollo/server's standalone server (bench/gateway-apollo.ts);
 *   (b) this router with every cache and deduplication off, started with Node's flags as it is in production
 *       (ROUTER_NODE_FLAGS: the heap cap);
 *   (c) this router with everything on: query plans, responses, entities (the benchmark's types) and APQ
 *       cached in Redis at REDIS_URL (default redis://127.0.0.1:6379) under a fresh key prefix per round,
 *       operations and fetches deduplicated.
 *
 *   1. starts the four subgraphs, served from memory by one process (bench/gateway-subgraphs.ts), for the run;
 *   2. per round, in a rotating order, per contender: starts a fresh gateway process, checks that its answer
 *      to the benchmark's TestQuery (87.6 kB) is expected.json, runs autocannon (bench/gateway-load.ts, its own
 *      process) for a warm-up and a measured window, every response checked against expected.json;
 *   3. prints each round and the medians: requests/s, p50/p99 latency, the gateway's CPU time and requests per
 *      CPU-second (req/s per core), its peak RSS (VmHWM), subgraph fetches per request, and (b), (c) against (a).
 * A contender that answers wrongly (errors included, e.g. a query cost limit) is reported as failed with the
 * answer it gave, not measured. Rate limits are off in the router (one client address would trip them);
 * cost and depth limits are left at the router's defaults.
 * Where taskset exists and there are two cores, the gateway runs on core 1, load and subgraphs on core 0.
 *
 * Flags: --duration <s> (measured, default 20) --warmup <s> (default 5) --rounds <n> (default 3)
 *        --connections <n> (default 50) --only a,b,c (which contenders)
 *        --subgraph-max-age <s> (default 60: subgraphs answer `cache-control: public, max-age=60`, without which
 *        no response cache may store anything; 0: no header, as upstream)
 *        --soak <minutes>: one contender only ((b), or the first of --only), one process for that long,
 *        a minute's req/s, p99 and RSS per line, to show they stay flat.
 *        --router-env KEY=VALUE (repeatable): an extra setting for (b) and (c), e.g. MAX_QUERY_COST=0 to see
 *        past a cost limit; printed with the results.
 * Env: BENCH_PORT_BASE (default 4700: the first of the two free ports it looks for), REDIS_URL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { describeWrongAnswer, sameAnswer } from './gateway-answers.ts';
import type { WindowResult } from './gateway-load.ts';
import { memoryOf } from './gateway-proc.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', default: 'a,b,c' },
    'subgraph-max-age': { type: 'string', default: '60' },
    soak: { type: 'string' },
    'router-env': { type: 'string', multiple: true, default: [] },
  },
});
const DURATION_S = positive('duration', flags.duration);
const WARMUP_S = flags.warmup === '0' ? 0 : positive('warmup', flags.warmup);
const ROUNDS = positive('rounds', flags.rounds);
const CONNECTIONS = positive('connections', flags.connections);
const SUBGRAPH_MAX_AGE = Number(flags['subgraph-max-age']);
const SOAK_MINUTES = flags.soak === undefined ? undefined : positive('soak', flags.soak);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUTER_EXTRA_ENV = routerExtraEnv(flags['router-env'] ?? []);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 4700);

const BENCH_DIR = import.meta.dirname;
const FIXTURES = path.join(BENCH_DIR, 'gateway-fixtures');
const SUPERGRAPH = path.join(FIXTURES, 'supergraph.graphql');
const REQUEST_FILE = path.join(FIXTURES, 'request.json');
const EXPECTED_FILE = path.join(FIXTURES, 'expected.json');
const EXPECTED: unknown = JSON.parse(readFileSync(EXPECTED_FILE, 'utf8'));
const SUBGRAPHS = ['accounts', 'inventory', 'products', 'reviews'];
const ROUTER_MAIN = path.join(BENCH_DIR, '..', 'router', 'src', 'main.ts');
/** Node's flags for the router, as the Dockerfile, compose, the Kubernetes Deployment and npm run router start it. */
const ROUTER_NODE_FLAGS = ['--max-old-space-size=768'];

/** The gateway alone on core 1, everything else on core 0; no pinning where that is not possible. */
const PINNING = availableParallelism() >= 2 && spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
type Core = 'gateway' | 'others';

function positive(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, not ${value}`);
  return parsed;
}

/** --router-env KEY=VALUE, for trying a router setting (e.g. MAX_QUERY_COST=0) without editing the bench. */
function routerExtraEnv(entries: string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(entry);
      if (!match) throw new Error(`--router-env takes KEY=VALUE, not ${entry}`);
      return [match[1], match[2]];
    }),
  );
}

const say = (message: string) => process.stdout.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------------------------------------- processes

/**
 * What every process of the bench gets, and nothing else from this shell: a stray CACHE_* or MAX_QUERY_COST
 * in the caller's environment would silently change what a contender is.
 */
const BASE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  TMPDIR: process.env.TMPDIR,
  LANG: process.env.LANG,
  OTEL_SDK_DISABLED: 'true',
};

interface Running {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  exited(): boolean;
}

const running = new Set<Running>();

/**
 * Starts `node [flags] --import tsx <entry>`, pinned to a core where possible, in a process group of its own so
 * that stopping it also stops what it started (tsx's esbuild service).
 */
function startProcess(name: string, entry: string, env: NodeJS.ProcessEnv, core: Core, nodeFlags: readonly string[] = []): Running {
  const node = [process.execPath, ...nodeFlags, '--import', 'tsx', entry];
  const command = PINNING ? ['taskset', '-c', core === 'gateway' ? '1' : '0', ...node] : node;
  const child = spawn(command[0] ?? '', command.slice(1), { cwd: path.join(BENCH_DIR, '..'), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  let tail = '';
  // Kept short and always drained: a full pipe would block the child.
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const handle: Running = { name, child, pid: child.pid, output: () => tail, exited: () => child.exitCode !== null || child.signalCode !== null };
  running.add(handle);
  child.on('exit', () => running.delete(handle));
  return handle;
}

function killGroup(target: Running, signal: NodeJS.Signals): void {
  try {
    process.kill(-target.pid, signal);
  } catch {
    // Already gone.
  }
}

async function stopProcess(target: Running): Promise<void> {
  if (target.exited()) {
    killGroup(target, 'SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => target.child.once('exit', () => resolve()));
  killGroup(target, 'SIGTERM');
  const force = setTimeout(() => killGroup(target, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(force);
  // The group may outlive its leader (tsx's esbuild service).
  killGroup(target, 'SIGKILL');
}

const stopAll = () => Promise.all([...running].map((target) => stopProcess(target)));

// No process of ours outlives the bench: Ctrl-C, kill, a crash, or a normal end.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    say(`${signal}: stopping every process of the bench`);
    void stopAll().finally(() => process.exit(130));
  });
}
process.on('exit', () => {
  for (const target of running) killGroup(target, 'SIGKILL');
});

/** Polls `check` until it holds; a first start may compile the router's TypeScript on a busy core, hence the patience. */
async function waitFor(target: Running, check: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (target.exited()) throw new Error(`${target.name} exited while starting: ${target.output().trim().slice(-1_500)}`);
    if (Date.now() > deadline) throw new Error(`${target.name} did not come up within ${timeoutMs / 1000} s; its output: ${target.output().trim().slice(-1_500) || '(none)'}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ---------------------------------------------------------------------------------------------- ports and memory

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The first `count` free ports from BENCH_PORT_BASE on: child processes cannot be handed port 0 and tell us. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let port = PORT_BASE; ports.length < count && port < PORT_BASE + 200; port += 1) if (await isFree(port)) ports.push(port);
  if (ports.length < count) throw new Error(`no ${count} free ports in ${PORT_BASE}–${PORT_BASE + 199} (BENCH_PORT_BASE)`);
  return ports;
}

/** Samples RSS every 200 ms, so a peak is seen even if the process dies before VmHWM is read. */
function sampleMemory(pid: number): { peakMb(): number; stop(): void } {
  let peak = 0;
  const sample = () => {
    const memory = memoryOf(pid);
    if (memory) peak = Math.max(peak, memory.rssMb, memory.peakMb);
  };
  const timer = setInterval(sample, 200);
  return {
    peakMb: () => {
      sample();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

// ---------------------------------------------------------------------------------------------- subgraphs and load

interface Subgraphs {
  urls: Record<string, string>;
  statsUrl: string;
}

async function startSubgraphs(port: number): Promise<Subgraphs> {
  const env = { ...BASE_ENV, BENCH_SUBGRAPHS_PORT: String(port), BENCH_SUBGRAPH_MAX_AGE: String(SUBGRAPH_MAX_AGE) };
  const target = startProcess('subgraphs', path.join(BENCH_DIR, 'gateway-subgraphs.ts'), env, 'others');
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(target, async () => (await fetch(`${origin}/stats`)).ok);
  return { urls: Object.fromEntries(SUBGRAPHS.map((name) => [name, `${origin}/${name}`])), statsUrl: `${origin}/stats` };
}

/**
 * One autocannon session in its own process on the load core (bench/gateway-load.ts): a warm-up, then
 * `windows` measured windows of `seconds` back to back; `onWindow` hears each as it closes.
 */
async function runLoad(gateway: Gateway, subgraphs: Subgraphs, plan: { warmup: number; seconds: number; windows: number }, onWindow: (result: WindowResult) => void): Promise<void> {
  const target = startProcess('load generator', path.join(BENCH_DIR, 'gateway-load.ts'), {
    ...BASE_ENV,
    BENCH_LOAD_URL: gateway.url,
    BENCH_LOAD_CONNECTIONS: String(CONNECTIONS),
    BENCH_LOAD_BODY: REQUEST_FILE,
    BENCH_LOAD_EXPECTED: EXPECTED_FILE,
    BENCH_LOAD_WARMUP: String(plan.warmup),
    BENCH_LOAD_WINDOW: String(plan.seconds),
    BENCH_LOAD_WINDOWS: String(plan.windows),
    BENCH_LOAD_GATEWAY_PID: String(gateway.target.pid),
    BENCH_LOAD_STATS_URL: subgraphs.statsUrl,
  }, 'others');
  let pending = '';
  let heard = 0;
  target.child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (!line.startsWith('{')) continue;
      heard += 1;
      onWindow(JSON.parse(line) as WindowResult);
    }
  });
  const code = await new Promise<number | null>((resolve) => target.child.once('exit', (exitCode) => resolve(exitCode)));
  if (heard < plan.windows) throw new Error(`the load generator failed (${code}): ${target.output().slice(-1_500)}`);
}

// ---------------------------------------------------------------------------------------------- contenders

type Key = 'a' | 'b' | 'c';

interface Contender {
  key: Key;
  name: string;
  entry: string;
  /** Node's own flags for the gateway process. */
  nodeFlags?: readonly string[];
  /** The gateway's environment for one round (a fresh cache prefix each round, for (c)). */
  env(port: number, subgraphUrls: Record<string, string>, cachePrefix: string): NodeJS.ProcessEnv;
  /** Answers once it can take the benchmark's query. */
  ready(origin: string): Promise<boolean>;
  needsRedis?: boolean;
}

const subgraphUrlEnv = (urls: Record<string, string>) =>
  Object.fromEntries(Object.entries(urls).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url]));

/** The router as the bench runs it: development keys, quiet logs, no rate limits, cost and depth limits as they are. */
function routerEnv(port: number, subgraphUrls: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...BASE_ENV,
    ...subgraphUrlEnv(subgraphUrls),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    PORT: String(port),
    HOST: '127.0.0.1',
    SUPERGRAPH_PATH: SUPERGRAPH,
    RATE_LIMIT_PER_IP: '0',
    RATE_LIMIT_PER_USER: '0',
    CACHE_STATS_LOG_INTERVAL_SECONDS: '0',
  };
}

/** A router contender's environment: its own settings, then whatever --router-env overrides. */
const withExtraEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...env, ...ROUTER_EXTRA_ENV });

const ROUTER_FEATURES_OFF = {
  CACHE_APQ: 'false',
  CACHE_QUERY_PLANS: 'false',
  CACHE_RESPONSES: 'false',
  CACHE_ENTITIES: 'false',
  ROUTER_DEDUPLICATE_OPERATIONS: 'false',
  ROUTER_DEDUPLICATE_FETCHES: 'false',
};

/** Every entity type of the benchmark, in every subgraph that resolves it: they are all public data. */
const BENCH_ENTITY_TYPES = 'accounts.User,inventory.Product,products.Product,reviews.Product,reviews.Review,reviews.User';

const routerReady = async (origin: string) => (await fetch(`${origin}/ready`)).ok;

const CONTENDERS: Contender[] = [
  {
    key: 'a',
    name: 'plain @apollo/gateway',
    entry: path.join(BENCH_DIR, 'gateway-apollo.ts'),
    env: (port, subgraphUrls) => ({ ...BASE_ENV, ...subgraphUrlEnv(subgraphUrls), NODE_ENV: 'production', PORT: String(port), BENCH_SUPERGRAPH: SUPERGRAPH }),
    ready: async (origin) =>
      (await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).ok,
  },
  {
    key: 'b',
    name: 'router, all off',
    entry: ROUTER_MAIN,
    nodeFlags: ROUTER_NODE_FLAGS,
    env: (port, subgraphUrls) => withExtraEnv({ ...routerEnv(port, subgraphUrls), ...ROUTER_FEATURES_OFF }),
    ready: routerReady,
  },
  {
    key: 'c',
    name: 'router, all on',
    entry: ROUTER_MAIN,
    nodeFlags: ROUTER_NODE_FLAGS,
    env: (port, subgraphUrls, cachePrefix) =>
      withExtraEnv({
        ...routerEnv(port, subgraphUrls),
        CACHE_APQ: 'true',
        CACHE_QUERY_PLANS: 'true',
        CACHE_RESPONSES: 'true',
        CACHE_ENTITIES: 'true',
        ENTITY_CACHE_TYPES: BENCH_ENTITY_TYPES,
        REDIS_URL,
        CACHE_KEY_PREFIX: cachePrefix,
        ROUTER_DEDUPLICATE_OPERATIONS: 'true',
        ROUTER_DEDUPLICATE_FETCHES: 'true',
      }),
    ready: routerReady,
    needsRedis: true,
  },
];

const redisClient = () => createClient({ url: REDIS_URL, socket: { connectTimeout: 2_000, reconnectStrategy: false } });

/** Runs `use` with a Redis client, or says why Redis cannot be had: (c) without Redis would be (b) in disguise. */
async function withRedis<T>(use: (client: ReturnType<typeof redisClient>) => Promise<T>): Promise<T> {
  const client = redisClient();
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${REDIS_URL} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

async function dropKeys(prefix: string): Promise<void> {
  await withRedis(async (client) => {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1_000 })) if (keys.length) await client.del(keys);
  }).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------- one measurement

interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  cpuSeconds: number;
  /** Requests answered per second of gateway CPU time. */
  perCore: number;
  peakRssMb: number;
  fetchesPerRequest: number;
  failures: number;
  mismatches: number;
  firstMismatch?: string;
}

/** retry: whether another round might go otherwise (a slow start may; a wrong answer will not). */
type Outcome = { ok: true; measurement: Measurement } | { ok: false; retry: boolean; reason: string };

/** The gateway answered the benchmark query, but not with expected.json. */
class WrongAnswer extends Error {}

/** The gateway's answer to the benchmark query must be expected.json before its speed means anything. */
async function checkAnswer(url: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: readFileSync(REQUEST_FILE) });
  const text = await response.text();
  if (response.status !== 200 || !sameAnswer(text, EXPECTED)) throw new WrongAnswer(`HTTP ${response.status}, ${describeWrongAnswer(text, EXPECTED)}`);
}

interface Gateway {
  target: Running;
  url: string;
  memory: ReturnType<typeof sampleMemory>;
  stop(): Promise<void>;
}

async function startGateway(contender: Contender, port: number, subgraphs: Subgraphs): Promise<Gateway> {
  const cachePrefix = `bench-gateway:${randomUUID()}:`;
  if (contender.needsRedis) await withRedis(async (client) => client.ping());
  const target = startProcess(`(${contender.key}) ${contender.name}`, contender.entry, contender.env(port, subgraphs.urls, cachePrefix), 'gateway', contender.nodeFlags);
  const memory = sampleMemory(target.pid);
  const stop = async () => {
    memory.stop();
    await stopProcess(target);
    if (contender.needsRedis) await dropKeys(cachePrefix);
  };
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitFor(target, () => contender.ready(origin));
    await checkAnswer(`${origin}/graphql`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { target, url: `${origin}/graphql`, memory, stop };
}

function measurementOf(window: WindowResult, gateway: Gateway): Measurement {
  return {
    requestsPerSecond: window.requests / window.seconds,
    p50: window.p50,
    p99: window.p99,
    cpuSeconds: window.cpuSeconds,
    perCore: window.cpuSeconds > 0 ? window.requests / window.cpuSeconds : 0,
    peakRssMb: gateway.memory.peakMb(),
    fetchesPerRequest: window.requests ? window.fetches / window.requests : 0,
    failures: window.failures,
    mismatches: window.mismatches,
    ...(window.firstMismatch ? { firstMismatch: window.firstMismatch } : {}),
  };
}

/** A fresh gateway process: started, checked, warmed up and measured once, stopped. */
async function measure(contender: Contender, port: number, subgraphs: Subgraphs): Promise<Outcome> {
  let gateway: Gateway;
  try {
    gateway = await startGateway(contender, port, subgraphs);
  } catch (error) {
    return { ok: false, retry: !(error instanceof WrongAnswer), reason: error instanceof Error ? error.message : String(error) };
  }
  try {
    let measurement: Measurement | undefined;
    await runLoad(gateway, subgraphs, { warmup: WARMUP_S, seconds: DURATION_S, windows: 1 }, (window) => {
      measurement = measurementOf(window, gateway);
    });
    return measurement ? { ok: true, measurement } : { ok: false, retry: true, reason: 'no measurement' };
  } catch (error) {
    return { ok: false, retry: true, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await gateway.stop();
  }
}

// ---------------------------------------------------------------------------------------------- report

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  console.log(line(rows[0] ?? []));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
}

const HEADER = ['contender', 'req/s', 'p50 ms', 'p99 ms', 'CPU s', 'req/CPU-s', 'peak RSS MB', 'fetches/req', 'failed', 'wrong'];

function measurementRow(label: string, m: Measurement): string[] {
  return [
    label,
    m.requestsPerSecond.toFixed(0),
    m.p50.toFixed(0),
    m.p99.toFixed(0),
    m.cpuSeconds.toFixed(1),
    m.perCore.toFixed(0),
    m.peakRssMb.toFixed(0),
    m.fetchesPerRequest.toFixed(2),
    String(m.failures),
    String(m.mismatches),
  ];
}

const label = (contender: Contender) => `(${contender.key}) ${contender.name}`;

function printRound(round: number, outcomes: Map<Key, Outcome>, contenders: Contender[]): void {
  console.log(`\nround ${round} of ${ROUNDS}`);
  const rows = [HEADER];
  for (const contender of contenders) {
    const outcome = outcomes.get(contender.key);
    if (outcome?.ok) rows.push(measurementRow(label(contender), outcome.measurement));
  }
  printTable(rows);
  for (const contender of contenders) {
    const outcome = outcomes.get(contender.key);
    if (outcome && !outcome.ok) console.log(`${label(contender)}: FAILED — ${outcome.reason}`);
    if (outcome?.ok && outcome.measurement.mismatches) console.log(`${label(contender)}: ${outcome.measurement.mismatches} WRONG answers, the first: ${outcome.measurement.firstMismatch}`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function medianMeasurement(measurements: Measurement[]): Measurement {
  const of = (pick: (m: Measurement) => number) => median(measurements.map(pick));
  return {
    requestsPerSecond: of((m) => m.requestsPerSecond),
    p50: of((m) => m.p50),
    p99: of((m) => m.p99),
    cpuSeconds: of((m) => m.cpuSeconds),
    perCore: of((m) => m.perCore),
    peakRssMb: of((m) => m.peakRssMb),
    fetchesPerRequest: of((m) => m.fetchesPerRequest),
    // Not medians: a single failed or wrong answer in any round counts.
    failures: measurements.reduce((sum, m) => sum + m.failures, 0),
    mismatches: measurements.reduce((sum, m) => sum + m.mismatches, 0),
  };
}

function printSummary(results: Map<Key, Outcome[]>, contenders: Contender[]): void {
  const extra = Object.keys(ROUTER_EXTRA_ENV).length ? `, routers with ${Object.entries(ROUTER_EXTRA_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
  console.log(`\nmedian of ${ROUNDS} round(s), ${DURATION_S} s measured after ${WARMUP_S} s warm-up, ${CONNECTIONS} connections${PINNING ? ', gateway alone on core 1' : ', not pinned'}${extra}`);
  const medians = new Map<Key, Measurement>();
  const rows = [[...HEADER, '×(a) req/CPU-s', '×(a) RSS']];
  for (const contender of contenders) {
    const measured = (results.get(contender.key) ?? []).flatMap((outcome) => (outcome.ok ? [outcome.measurement] : []));
    if (measured.length) medians.set(contender.key, medianMeasurement(measured));
  }
  const base = medians.get('a');
  for (const contender of contenders) {
    const m = medians.get(contender.key);
    if (!m) continue;
    const ratios = base ? [`${(m.perCore / base.perCore).toFixed(2)}×`, `${(m.peakRssMb / base.peakRssMb).toFixed(2)}×`] : ['', ''];
    rows.push([...measurementRow(label(contender), m), ...ratios]);
  }
  printTable(rows);
  for (const contender of contenders) {
    const failed = (results.get(contender.key) ?? []).find((outcome) => !outcome.ok);
    if (failed && !failed.ok) console.log(`${label(contender)}: FAILED — ${failed.reason}`);
    const m = medians.get(contender.key);
    if (m?.mismatches) console.log(`${label(contender)}: FLAGGED — ${m.mismatches} wrong answers during the run`);
    if (m?.failures) console.log(`${label(contender)}: ${m.failures} requests failed in the measured windows (errors, timeouts, non-2xx)`);
  }
  printTargets(medians);
}

function printTargets(medians: Map<Key, Measurement>): void {
  const base = medians.get('a');
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log('\ntargets against (a):');
  for (const [key, factor, rssBound] of [['b', 2, true], ['c', 5, false]] as const) {
    const m = medians.get(key);
    const goal = `(${key}) ≥ ${factor.toFixed(1)}× (a) req per CPU-s${rssBound ? " at ≤ (a)'s peak RSS" : ''}`;
    if (!base || !m) {
      console.log(`  ${goal}: not measured`);
      continue;
    }
    const ratio = m.perCore / base.perCore;
    const rss = m.peakRssMb / base.peakRssMb;
    const met = ratio >= factor && (!rssBound || rss <= 1) && m.mismatches === 0;
    console.log(`  ${goal}: ${ratio.toFixed(2)}× at ${rss.toFixed(2)}× the RSS — ${verdict(met)}`);
  }
}

// ---------------------------------------------------------------------------------------------- modes

function chosenContenders(): Contender[] {
  const keys = (flags.only ?? '').split(',').map((key) => key.trim()).filter(Boolean);
  const unknown = keys.filter((key) => !CONTENDERS.some((contender) => contender.key === key));
  if (unknown.length || keys.length === 0) throw new Error(`--only takes a comma-separated list of a, b, c (not ${flags.only})`);
  return CONTENDERS.filter((contender) => keys.includes(contender.key));
}

/** Rounds alternate who goes first, so no contender always gets the coolest machine or the warmest caches. */
function orderOf(round: number, contenders: Contender[]): Contender[] {
  const shift = (round - 1) % contenders.length;
  return [...contenders.slice(shift), ...contenders.slice(0, shift)];
}

async function compare(contenders: Contender[], gatewayPort: number, subgraphs: Subgraphs): Promise<void> {
  const results = new Map<Key, Outcome[]>();
  for (let round = 1; round <= ROUNDS; round += 1) {
    const outcomes = new Map<Key, Outcome>();
    for (const contender of orderOf(round, contenders)) {
      const earlier = results.get(contender.key) ?? [];
      // A wrong answer (a cost limit's refusal included) is the same every round: say it once, spend no more time on it.
      if (earlier.some((outcome) => !outcome.ok && !outcome.retry)) continue;
      say(`round ${round}: ${label(contender)} — ${WARMUP_S} s warm-up, ${DURATION_S} s measured, ${CONNECTIONS} connections`);
      const outcome = await measure(contender, gatewayPort, subgraphs);
      if (!outcome.ok) say(`${label(contender)} failed: ${outcome.reason}`);
      outcomes.set(contender.key, outcome);
      results.set(contender.key, [...earlier, outcome]);
    }
    printRound(round, outcomes, contenders);
  }
  printSummary(results, contenders);
}

/** One gateway process under load for `minutes`, reported a minute at a time: req/s, p99 and RSS should stay flat. */
async function soak(contender: Contender, minutes: number, gatewayPort: number, subgraphs: Subgraphs): Promise<void> {
  say(`soak: ${label(contender)} for ${minutes} min, ${CONNECTIONS} connections, after ${WARMUP_S} s warm-up`);
  const gateway = await startGateway(contender, gatewayPort, subgraphs);
  const rows = [['minute', 'req/s', 'p50 ms', 'p99 ms', 'req/CPU-s', 'RSS MB', 'peak RSS MB', 'failed', 'wrong']];
  try {
    await runLoad(gateway, subgraphs, { warmup: WARMUP_S, seconds: 60, windows: minutes }, (window) => {
      const m = measurementOf(window, gateway);
      const rss = memoryOf(gateway.target.pid)?.rssMb ?? 0;
      const row = [m.requestsPerSecond, m.p50, m.p99, m.perCore, rss, m.peakRssMb].map((value) => value.toFixed(0));
      rows.push([String(rows.length), ...row, String(m.failures), String(m.mismatches)]);
      say(`minute ${rows.length - 1}: ${row.join(' · ')} · ${m.failures} failed · ${m.mismatches} wrong`);
    });
  } finally {
    await gateway.stop();
    console.log('');
    printTable(rows);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const contenders = chosenContenders();
  const [subgraphPort = PORT_BASE, gatewayPort = PORT_BASE + 1] = await freePorts(2);
  if (!PINNING) say('taskset or a second core is missing: processes are not pinned, figures are noisier');
  if (Object.keys(ROUTER_EXTRA_ENV).length) say(`router contenders also get --router-env ${JSON.stringify(ROUTER_EXTRA_ENV)}`);
  const subgraphs = await startSubgraphs(subgraphPort);
  say(`subgraphs on :${subgraphPort}, gateways on :${gatewayPort}`);
  if (SOAK_MINUTES !== undefined) {
    const chosen = flags.only === 'a,b,c' ? CONTENDERS.find((contender) => contender.key === 'b') : contenders[0];
    if (chosen) await soak(chosen, SOAK_MINUTES, gatewayPort, subgraphs);
  } else {
    await compare(contenders, gatewayPort, subgraphs);
  }
  say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`[bench] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
