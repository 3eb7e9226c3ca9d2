/*
 * What a Kubernetes Service is to the router, in a test process: one address in front of a subgraph's replicas,
 * balancing per TCP connection as kube-proxy does (the router keeps HTTP connections alive, so requests spread
 * as its connections do, not one by one). Like the endpoints controller it routes only to replicas whose
 * /ready answers, polled every `readyIntervalMs`; between two polls a replica that refuses the connection is
 * skipped for the next one, so a killed replica costs the requests it was serving, not the ones after it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  /** The replica's name in the process group (for counts and messages). */
  name: string;
  port: number;
  /** Its readiness URL. */
  readyUrl: string;
}

export interface RoundRobinProxy {
  readonly port: number;
  readonly url: string;
  /** Connections handed to each backend so far, by name. */
  connections(): Record<string, number>;
  /** The backends routed to right now (their last /ready answered). */
  ready(): string[];
  close(): Promise<void>;
}

async function answersReady(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

export async function startRoundRobinProxy(port: number, backends: Backend[], readyIntervalMs = 200): Promise<RoundRobinProxy> {
  const ready = new Set<string>();
  const handed = new Map(backends.map((backend) => [backend.name, 0]));
  const open = new Set<Socket>();
  let next = 0;
  let polling = true;

  const poll = async () => {
    while (polling) {
      await Promise.all(
        backends.map(async (backend) => {
          if (await answersReady(backend.readyUrl)) ready.add(backend.name);
          else ready.delete(backend.name);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, readyIntervalMs));
    }
  };
  const polled = poll();

  /** Tries the ready backends in turn from the next one, until one takes the connection. */
  const dial = (client: Socket, refused = new Set<string>()): void => {
    const candidates = backends.filter((backend) => ready.has(backend.name) && !refused.has(backend.name));
    const backend = candidates[next++ % Math.max(candidates.length, 1)];
    if (!backend) return void client.destroy();
    const upstream = connect(backend.port, '127.0.0.1');
    let connected = false;
    open.add(upstream);
    upstream.once('connect', () => {
      connected = true;
      handed.set(backend.name, (handed.get(backend.name) ?? 0) + 1);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (connected) return; // 'close' follows and takes the client with it
      if (error.code !== 'ECONNREFUSED') return void client.destroy();
      // Dead since the last poll: the endpoints would not list it either by now.
      ready.delete(backend.name);
      open.delete(upstream);
      dial(client, refused.add(backend.name));
    });
    upstream.once('close', () => {
      open.delete(upstream);
      // A refused dial has moved on to the next replica; a connection that was up ends with its client.
      if (connected) client.destroy();
    });
    client.once('close', () => upstream.destroy());
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.on('error', () => undefined);
    client.once('close', () => open.delete(client));
    dial(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => Object.fromEntries(handed),
    ready: () => [...ready],
    async close() {
      polling = false;
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await polled;
    },
  };
}
