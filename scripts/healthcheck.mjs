// Container health probe for every long-running role of the image: `node scripts/healthcheck.mjs [path]`
// (default /ready). Plain JavaScript so it starts fast without tsx, and the image needs no curl. It asks the
// container's own port: HEALTHCHECK_PORT, else WORKER_PORT (workers' ops server), else PORT (router, subgraphs).
const path = process.argv[2] ?? '/ready';
const port = process.env.HEALTHCHECK_PORT || process.env.WORKER_PORT || process.env.PORT || '4000';

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
