import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '@storefront/config';
import { ensureDatabaseExists } from '@storefront/prisma-tools';
import { memoryOf } from './gateway-proc.ts';

/*
 * npm run bench:startup: how long the router and one subgraph (catalog) take from spawn to /ready, and their
 * RSS once idle, run as development runs them (TypeScript through tsx) and as production does (the compiled
 * JavaScript of `npm run build`, `node --conditions=production`). Rounds alternate the two ways so that a busy
 * machine weighs on both alike; the figures are medians.
 *
 *   npm run build && npm run bench:startup -- --rounds 5
 */

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, idle: { type: 'string', default: '3' } } });
const ROUNDS = Number(flags.rounds);
const IDLE_S = Number(flags.idle);
const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CATALOG_DATABASE_URL = (() => {
  const url = new URL(POSTGRES_URL);
  url.pathname = '/storefront_bench_startup_catalog';
  return url.toString();
})();

interface Process {
  name: 'router' | 'catalog';
  port: number;
  entry: { tsx: string; compiled: string };
  env: Record<string, string>;
}

const CATALOG: Process = {
  name: 'catalog',
  port: 4791,
  entry: { tsx: 'subgraphs/catalog/src/main.ts', compiled: 'subgraphs/catalog/dist/main.js' },
  env: { PORT: '4791', CATALOG_DATABASE_URL },
};
const ROUTER: Process = {
  name: 'router',
  port: 4790,
  entry: { tsx: 'router/src/main.ts', compiled: 'router/dist/main.js' },
  env: { PORT: '4790' },
};
const PROCESSES = [CATALOG, ROUTER];
type Way = 'tsx' | 'compiled';

function argsFor(way: Way, entry: string): string[] {
  return way === 'tsx' ? ['--import', 'tsx', entry] : ['--conditions=production', entry];
}

async function readyWithin(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`not ready within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function measure(process_: Process, way: Way): Promise<{ readyMs: number; rssMb: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, argsFor(way, process_.entry[way]), {
    cwd: REPO_ROOT,
  env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...process_.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await readyWithin(process_.port, child, 60_000);
    const readyMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    const rssMb = child.pid === undefined ? Number.NaN : (memoryOf(child.pid)?.rssMb ?? Number.NaN);
    return { readyMs, rssMb };
  } finally {
    await stop(child);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  for (const process_ of PROCESSES) {
    if (!existsSync(path.join(REPO_ROOT, process_.entry.compiled))) throw new Error(`${process_.entry.compiled} is missing: run npm run build first`);
  }
  await ensureDatabaseExists(CATALOG_DATABASE_URL);
  const results = new Map<string, Array<{ readyMs: number; rssMb: number }>>();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const way of (round % 2 ? ['compiled', 'tsx'] : ['tsx', 'compiled']) as Way[]) {
      const catalog = await measure(CATALOG, way);
      results.set(`catalog ${way}`, [...(results.get(`catalog ${way}`) ?? []), catalog]);
      const router = await measure(ROUTER, way);
      results.set(`router ${way}`, [...(results.get(`router ${way}`) ?? []), router]);
      console.log(`round ${round + 1} ${way}: catalog ${catalog.readyMs.toFixed(0)} ms ${catalog.rssMb.toFixed(0)} MB, router ${router.readyMs.toFixed(0)} ms ${router.rssMb.toFixed(0)} MB`);
    }
  }
  console.log(`\n| process | run as | start to ready (median of ${ROUNDS}) | idle RSS after ${IDLE_S} s |`);
  console.log('| --- | --- | --- | --- |');
  for (const process_ of PROCESSES) {
    for (const way of ['tsx', 'compiled'] as Way[]) {
      const runs = results.get(`${process_.name} ${way}`) ?? [];
      console.log(`| ${process_.name} | ${way === 'tsx' ? 'node --import tsx (src)' : 'node --conditions=production (dist)'} | ${median(runs.map((run) => run.readyMs)).toFixed(0)} ms | ${median(runs.map((run) => run.rssMb)).toFixed(0)} MB |`);
    }
  }
}

try {
  await main();
} catch (error) {
  console.error(`[bench] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
