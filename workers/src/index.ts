export { startService } from './service-process.ts';
export type { RunningService, StartServiceOptions } from './service-process.ts';
export { WORKER_SERVICES } from './services.ts';
export type { WorkerService } from './services.ts';
