/*
 * The browser tests' world, kept up for poking at by hand: `npx tsx web/e2e/serve-world.ts` prints the app's
 * URL (its own databases, workers and router); Ctrl-C tears it down.
 */
import { startWebWorld } from './harness.ts';

const world = await startWebWorld();
console.log(`app: ${world.webUrl}  router: ${world.stack.routerUrl}`);
const stop = () => void world.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
