/*
 * Reads an incremental (@defer) response as a client does: multipart/mixed parts as they arrive, each a JSON
 * payload after its part headers, with the time it arrived.
 */

export interface IncrementalPayload {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  hasNext?: boolean;
  incremental?: Array<{
    data: Record<string, unknown> | null;
    path: unknown[];
    label?: string;
    errors?: Array<{ message?: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  }>;
}

export async function readMultipart(response: Response): Promise<Array<{ payload: IncrementalPayload; atMs: number }>> {
  const started = Date.now();
  const parts: Array<{ payload: IncrementalPayload; atMs: number }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let boundary: number;
    // A part ends where the next boundary begins; its body follows the blank line after its headers.
    while ((boundary = buffer.indexOf('\r\n---', 1)) !== -1) {
      const chunk = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const bodyAt = chunk.indexOf('\r\n\r\n');
      if (bodyAt !== -1) parts.push({ payload: JSON.parse(chunk.slice(bodyAt + 4)) as IncrementalPayload, atMs: Date.now() - started });
    }
    if (done) break;
  }
  return parts;
}

/** The response an incremental one adds up to: each item's data merged into the initial data at its path. */
export function mergeIncremental(payloads: readonly IncrementalPayload[]): { data: Record<string, unknown> | null; errors: unknown[] } {
  const [initial, ...rest] = payloads;
  const data = structuredClone(initial?.data ?? null);
  const errors: unknown[] = [...(initial?.errors ?? [])];
  for (const payload of rest) {
    for (const item of payload.incremental ?? []) {
      errors.push(...(item.errors ?? []));
      let target: unknown = data;
      for (const key of item.path) target = (target as Record<string | number, unknown> | null)?.[key as string];
      if (target && item.data) mergeDeep(target as Record<string, unknown>, item.data);
    }
  }
  return { data, errors };
}

function mergeDeep(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (existing && value && typeof existing === 'object' && typeof value === 'object' && !Array.isArray(value)) mergeDeep(existing as Record<string, unknown>, value as Record<string, unknown>);
    else target[key] = value;
  }
}
