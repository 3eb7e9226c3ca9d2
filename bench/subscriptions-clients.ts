/*
 * The subscribers of `npm run bench:subscriptions`, in a process of their own (their parsing and sockets are
 * not the router's cost): sent { url, query, subscribers, productIds }, it subscribes each client to one
 * product's stockChanged over WebSocket (70 %), SSE (15 %) or multipart HTTP (15 %), answers 'subscribed',
 * then records every event it receives (product, available units, when: epoch ms) until 'collect'.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface ClientsConfig {
  url: string;
  query: string;
  subscribers: number;
  productIds: string[];
}

/** [product index, available units, received at (epoch ms)] per delivered event. */
export type Delivery = [number, number, number];

export type ClientsMessage = { kind: 'subscribed' } | { kind: 'collected'; deliveries: Delivery[]; cpuMicros: number; failures: number } | { kind: 'closed' };

const now = () => performance.timeOrigin + performance.now();
const send = (message: ClientsMessage) => process.send?.(message);
const deliveries: Delivery[] = [];
let failures = 0;
const wsClients: Client[] = [];
const aborts: AbortController[] = [];

function record(productIndex: Map<string, number>, payload: unknown): void {
  const changed = (payload as { data?: { stockChanged?: { id?: string; stock?: { available?: number } } } } | undefined)?.data?.stockChanged;
  const index = changed?.id === undefined ? undefined : productIndex.get(changed.id);
  if (index !== undefined && typeof changed?.stock?.available === 'number') deliveries.push([index, changed.stock.available, now()]);
}

function subscribeWs(config: ClientsConfig, ids: string[], productIndex: Map<string, number>): void {
  const client = createClient({ url: config.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  wsClients.push(client);
  client.subscribe({ query: config.query, variables: { ids } }, { next: (result) => record(productIndex, result), error: () => (failures += 1), complete: () => undefined });
}

async function subscribeHttp(config: ClientsConfig, kind: 'sse' | 'multipart', ids: string[], productIndex: Map<string, number>): Promise<void> {
  const abort = new AbortController();
  aborts.push(abort);
  const response = await fetch(config.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: kind === 'sse' ? 'text/event-stream' : 'multipart/mixed;subscriptionSpec=1.0' },
    body: JSON.stringify({ query: config.query, variables: { ids } }),
    signal: abort.signal,
  });
  const decoder = new TextDecoder();
  void (async () => {
    let text = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        const separator = kind === 'sse' ? '\n\n' : '\r\n--graphql';
        let at: number;
        while ((at = text.indexOf(separator)) >= 0) {
          const part = text.slice(0, at);
          text = text.slice(at + separator.length);
          const json = kind === 'sse' ? /^data: (.+)$/m.exec(part)?.[1] : part.split('\r\n\r\n')[1];
          if (!json || json === '{}') continue;
          const parsed = JSON.parse(json) as { payload?: unknown };
          record(productIndex, kind === 'sse' ? parsed : parsed.payload);
        }
      }
    } catch {
      // Aborted at the end.
    }
  })();
}

process.once('message', async (config: ClientsConfig) => {
  const productIndex = new Map(config.productIds.map((id, index) => [id, index]));
  for (let index = 0; index < config.subscribers; index += 1) {
    const ids = [config.productIds[index % config.productIds.length] as string];
    const kind = index % 20 < 14 ? 'ws' : index % 20 < 17 ? 'sse' : 'multipart';
    if (kind === 'ws') subscribeWs(config, ids, productIndex);
    else await subscribeHttp(config, kind, ids, productIndex);
    if (index % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  send({ kind: 'subscribed' });
  process.on('message', async (command: 'collect' | 'close') => {
    if (command === 'collect') {
      const cpu = process.cpuUsage();
      send({ kind: 'collected', deliveries: deliveries.splice(0), cpuMicros: cpu.user + cpu.system, failures });
      return;
    }
    for (const abort of aborts) abort.abort();
    await Promise.all(wsClients.map((client) => client.dispose()));
    send({ kind: 'closed' });
    process.exit(0);
  });
});
