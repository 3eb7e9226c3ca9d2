/*
 * The load generator of npm run bench:gateway, in a process of its own so that it shares neither the
 * orchestrator's event loop nor the gateway's core. One autocannon session POSTs the benchmark's request
 * without pause: a warm-up, then one or more measured windows cut out of the same stream of responses.
 * Stopping and restarting the load between warm-up and measurement would leave the gateway finishing
 * abandoned requests at the start of the window and start the window with an empty pipeline; both skew
 * requests/s and CPU per request, most for the slowest gateway.
 * At each window's edges it reads the gateway's CPU time (/proc) and the subgraphs' fetch count, so that
 * both cover exactly the responses counted. Every response is checked against the expected one.
 * Prints one JSON line (WindowResult) per window, then exits.
 * Env: BENCH_LOAD_URL, BENCH_LOAD_CONNECTIONS, BENCH_LOAD_BODY (file), BENCH_LOAD_EXPECTED (file),
 *      BENCH_LOAD_WARMUP, BENCH_LOAD_WINDOW (seconds), BENCH_LOAD_WINDOWS (count), BENCH_LOAD_GATEWAY_PID,
 *      BENCH_LOAD_STATS_URL (the subgraphs' /stats).
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { sameAnswer } from './gateway-answers.ts';
import { cpuSecondsOf } from './gateway-proc.ts';

export interface WindowResult {
  /** 2xx answers completed in the window. */
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  failures: number;
  /** 2xx answers whose body is not the expected response (those of the warm-up count in the first window). */
  mismatches: number;
  firstMismatch?: string;
  /** Gateway CPU seconds spent during the window. */
  cpuSeconds: number;
  /** Requests the subgraphs served during the window. */
  fetches: number;
}

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const WARMUP_S = Number(process.env.BENCH_LOAD_WARMUP ?? 0);
const WINDOW_S = Number(env('BENCH_LOAD_WINDOW'));
const WINDOWS = Number(process.env.BENCH_LOAD_WINDOWS ?? 1);
const GATEWAY_PID = Number(env('BENCH_LOAD_GATEWAY_PID'));
const STATS_URL = env('BENCH_LOAD_STATS_URL');
const body = readFileSync(env('BENCH_LOAD_BODY'), 'utf8');
const expected: unknown = JSON.parse(readFileSync(env('BENCH_LOAD_EXPECTED'), 'utf8'));

async function fetchCount(): Promise<number> {
  const counts = (await (await fetch(STATS_URL)).json()) as Record<string, number>;
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** One measured window in the making. */
class Window {
  readonly latencies: number[] = [];
  failures = 0;
  mismatches = 0;
  firstMismatch: string | undefined;
  private readonly startedAt = performance.now();
  private readonly cpuAtStart = cpuSecondsOf(GATEWAY_PID);

  private constructor(private readonly fetchesAtStart: number) {}

  static async open(carried: { mismatches: number; firstMismatch: string | undefined }): Promise<Window> {
    const window = new Window(await fetchCount());
    window.mismatches = carried.mismatches;
    window.firstMismatch = carried.firstMismatch;
    return window;
  }

  async close(): Promise<WindowResult> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const cpuSeconds = cpuSecondsOf(GATEWAY_PID) - this.cpuAtStart;
    const fetches = (await fetchCount()) - this.fetchesAtStart;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const percentile = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
    return {
      requests: sorted.length,
      seconds,
      p50: percentile(50),
      p99: percentile(99),
      failures: this.failures,
      mismatches: this.mismatches,
      ...(this.firstMismatch ? { firstMismatch: this.firstMismatch } : {}),
      cpuSeconds,
      fetches,
    };
  }
}

/** Mismatches seen before the first window opens (the warm-up's), carried into it. */
const warmup = { mismatches: 0, firstMismatch: undefined as string | undefined };
let current: Window | undefined;
/** Bodies already found right: comparing strings is cheap, parsing 87 kB per response would load this core. */
const knownGood = new Set<string>();

function check(status: number, text: string): void {
  if (status < 200 || status > 299 || knownGood.has(text)) return;
  if (sameAnswer(text, expected)) {
    if (knownGood.size < 8) knownGood.add(text);
    return;
  }
  const bucket = current ?? warmup;
  bucket.mismatches += 1;
  bucket.firstMismatch ??= text.slice(0, 500);
}

const instance = autocannon(
  {
    url: env('BENCH_LOAD_URL'),
    connections: Number(env('BENCH_LOAD_CONNECTIONS')),
    // We stop it after the last window; this only bounds a run whose windows never close.
    duration: WARMUP_S + WINDOW_S * WINDOWS + 30,
    // autocannon's 10 s would abandon the slowest gateway's requests (its p99 nears that at 50 connections):
    // counted as failures, yet still paid for in its CPU time. Upstream's k6 waits 60 s too.
    timeout: 60,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    requests: [{ onResponse: (status, text) => check(status, text) }],
  },
  () => process.exit(0),
);
instance.on('response', (_client, status, _bytes, responseTime) => {
  if (!current) return;
  if (status >= 200 && status < 300) current.latencies.push(responseTime);
  else current.failures += 1;
});
instance.on('reqError', () => {
  if (current) current.failures += 1;
});

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

await sleep(WARMUP_S);
let open = await Window.open(warmup);
current = open;
for (let n = 1; n <= WINDOWS; n += 1) {
  await sleep(WINDOW_S);
  const closing = open;
  // The next window opens at once, so no response falls between two.
  if (n < WINDOWS) {
    open = await Window.open({ mismatches: 0, firstMismatch: undefined });
    current = open;
  } else {
    current = undefined;
  }
  process.stdout.write(`${JSON.stringify(await closing.close())}\n`);
}
instance.stop();
// autocannon calls back once its connections are closed; a gateway that never answers must not keep us.
setTimeout(() => process.exit(0), 10_000).unref();
