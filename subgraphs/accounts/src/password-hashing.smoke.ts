import { openPasswordHasher } from './password-hashing.ts';

/*
 * Hashes and checks a password in worker threads, then closes the pool, printing what happened as JSON. Run
 * by password-hashing-tsx.test.ts under tsx and `node --import tsx`, the ways accounts runs in development and
 * production; the process must also exit by itself, which it cannot while a worker thread holds it open.
 */
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const { hasher, close } = await openPasswordHasher({ where: 'worker-threads', threads: 2, maxQueue: 4 });
const startMs = Math.round(performance.now() - started);
const rssWithPool = process.memoryUsage().rss;
const stored = await hasher.hash('a passphrase from a worker');
const [right, wrong] = await Promise.all([hasher.verify('a passphrase from a worker', stored), hasher.verify('another passphrase', stored)]);
await close();
console.log(JSON.stringify({ right, wrong, startMs, poolRssMb: Math.round((rssWithPool - rssBefore) / 2 ** 20) }));
