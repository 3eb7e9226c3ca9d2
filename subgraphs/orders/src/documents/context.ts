import type DataLoader from 'dataloader';
import { fileSigningFromEnv, type FileSigningConfig } from '@storefront/identity';
import { queueConnectionFromEnv, type QueueConnection } from '@storefront/events';
import type { PrismaClient } from '../database.ts';
import { invoiceLoader, type InvoiceSummary } from './invoices.ts';
import { DocumentJobs } from './jobs.ts';

/** What the orders subgraph process holds for documents: one job producer, the URL signing config. */
export interface DocumentServices {
  jobs: DocumentJobs;
  signing: FileSigningConfig;
  close(): Promise<void>;
}

export interface DocumentServicesOptions {
  /** Where report jobs are added; tests pass their own prefix. Default: REDIS_URL and QUEUE_PREFIX. */
  queues?: QueueConnection;
  /** Default: FILE_SIGNING_SECRET and PUBLIC_URL. */
  signing?: FileSigningConfig;
}

/** Reads and validates the environment at start-up; Redis is only connected to when a job is first added. */
export function createDocumentServices(options: DocumentServicesOptions = {}, env: NodeJS.ProcessEnv = process.env): DocumentServices {
  const jobs = new DocumentJobs(options.queues ?? queueConnectionFromEnv(env));
  return { jobs, signing: options.signing ?? fileSigningFromEnv(env), close: () => jobs.close() };
}

/** Per request: the services plus a fresh invoice loader (nothing cached across viewers). */
export interface DocumentsContext {
  jobs: DocumentJobs;
  signing: FileSigningConfig;
  invoiceOfOrder: DataLoader<string, InvoiceSummary | null>;
}

export function documentsContext(prisma: PrismaClient, services: DocumentServices): DocumentsContext {
  return { jobs: services.jobs, signing: services.signing, invoiceOfOrder: invoiceLoader(prisma) };
}
