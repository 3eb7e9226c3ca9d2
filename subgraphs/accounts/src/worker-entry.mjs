// @ts-check
import { workerData } from 'node:worker_threads';

/*
 * The entry of every worker-pool thread: it loads the TypeScript module named in workerData.module. Node 20
 * cannot load TypeScript by itself, and a worker thread does not inherit the loader of the thread that started
 * it (neither tsx's, under `tsx` or `node --import tsx`, nor jest's transform), so this plain module loads the
 * TypeScript through tsx when nothing else can.
 */
const body = /** @type {{ module: string }} */ (workerData).module;
try {
  await import(body);
} catch (error) {
  if (/** @type {{ code?: unknown }} */ (error).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(body, import.meta.url);
}
