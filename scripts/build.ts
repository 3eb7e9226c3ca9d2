import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * npm run build: JavaScript for every production process, by tsc emit rather than bundles. One tsc program
 * (tsconfig.build.json) type-checks and emits every workspace's src/ tree; each lands in its own workspace's
 * dist/ (src/x.ts → dist/x.js), beside copies of the other files src/ holds (schema.graphql, a worker
 * thread's .mjs entry), so every path a module finds relative to itself (REPO_ROOT, its schema, its
 * migrations folder) resolves the same from dist/ as from src/. A bundle broke exactly those, and would carry
 * a copy of the shared packages per process. Workspaces export dist/ under the `production` condition:
 *
 *   node --conditions=production router/dist/main.js
 *
 * Development and tests keep running the TypeScript through tsx; nothing imports dist/ without the condition.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, '.build');

/** Workspaces whose src/ is emitted to their dist/. */
function workspaces(): string[] {
  const under = (folder: string) => readdirSync(path.join(ROOT, folder)).map((name) => path.join(folder, name));
  return [...under('packages'), 'prisma', 'schema', ...under('subgraphs'), 'router', 'workers'].filter((workspace) => existsSync(path.join(ROOT, workspace, 'src')));
}

/** Everything under src/ that tsc does not emit and a module may read at run time. */
function copyAssets(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copyAssets(source, target);
    } else if (!/\.(ts|md)$/.test(entry.name)) {
      mkdirSync(to, { recursive: true });
      cpSync(source, target);
    }
  }
}

/** Source maps name their sources relative to where tsc wrote them; after the move they must be relative to dist/. */
function relocateSourceMaps(dist: string, emittedAt: string): void {
  for (const entry of readdirSync(dist, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js.map')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const before = path.join(emittedAt, path.relative(dist, entry.parentPath));
    const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[] };
    map.sources = map.sources.map((source) => path.relative(entry.parentPath, path.resolve(before, source)));
    writeFileSync(file, JSON.stringify(map));
  }
}

function build(): void {
  const started = performance.now();
  rmSync(OUT, { recursive: true, force: true });
  for (const workspace of workspaces()) rmSync(path.join(ROOT, workspace, 'dist'), { recursive: true, force: true });
  rmSync(path.join(ROOT, 'web', 'dist-server'), { recursive: true, force: true });

  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc failed (see above)');

  for (const workspace of workspaces()) {
    const emitted = path.join(OUT, workspace, 'src');
    const dist = path.join(ROOT, workspace, 'dist');
    if (!existsSync(emitted)) throw new Error(`tsc emitted nothing for ${workspace}`);
    renameSync(emitted, dist);
    relocateSourceMaps(dist, emitted);
    copyAssets(path.join(ROOT, workspace, 'src'), dist);
  }
  // The shop's static server lives beside its app rather than in a src/ tree; web/dist is Vite's.
  mkdirSync(path.join(ROOT, 'web', 'dist-server'), { recursive: true });
  for (const file of ['server.js', 'server.js.map']) renameSync(path.join(OUT, 'web', file), path.join(ROOT, 'web', 'dist-server', file));
  relocateSourceMaps(path.join(ROOT, 'web', 'dist-server'), path.join(OUT, 'web'));
  rmSync(OUT, { recursive: true, force: true });
  console.log(`built ${workspaces().length} workspaces and the shop's server in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

try {
  build();
} catch (error) {
  console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
