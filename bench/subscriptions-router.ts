/*
 * The router of `npm run bench:subscriptions`, in a process of its own so its memory and CPU are its own.
 * Started by bench/subscriptions.ts over IPC: it is sent the router's configuration (the identity key as
 * PEM), answers { url } once a supergraph is loaded, then answers each 'sample' with its memory and CPU (after
 * a full GC) until 'close'.
 */
import { createPrivateKey } from 'node:crypto';
import { createLogger } from '@storefront/telemetry';
import { startRouter, type RouterConfig } from '@storefront/router';

type RouterAuth = NonNullable<RouterConfig['auth']>;
export type RouterProcessConfig = Omit<RouterConfig, 'auth'> & { auth: Omit<RouterAuth, 'identityKey'> & { identityKeyPem: string } };

export interface RouterSample {
  rss: number;
  heapUsed: number;
  /** process.cpuUsage() in µs since the process started. */
  cpuMicros: number;
}

export type RouterProcessMessage = { kind: 'started'; url: string } | { kind: 'sample'; sample: RouterSample } | { kind: 'closed' };

const gc = (globalThis as { gc?: () => void }).gc;
const send = (message: RouterProcessMessage) => process.send?.(message);

process.once('message', async (given: RouterProcessConfig) => {
  const { identityKeyPem, ...auth } = given.auth;
  const config: RouterConfig = { ...given, auth: { ...auth, identityKey: createPrivateKey(identityKeyPem) } };
  const router = await startRouter(config, createLogger({ service: 'router', level: 'silent' }));
  while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
  process.on('message', async (command: 'sample' | 'close') => {
    if (command === 'sample') {
      gc?.();
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      send({ kind: 'sample', sample: { rss: memory.rss, heapUsed: memory.heapUsed, cpuMicros: cpu.user + cpu.system } });
    } else {
      await router.close();
      send({ kind: 'closed' });
      process.exit(0);
    }
  });
  send({ kind: 'started', url: router.url });
});
