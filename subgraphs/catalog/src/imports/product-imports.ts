import { inputError, InputErrorCode, serviceUnavailable, type InputError, type Page } from '@storefront/api-conventions';
import { DeadlineExceededError } from '@storefront/http-host';
import { signUrl, type FileSigningConfig } from '@storefront/identity';
import { heavyJobOptions } from '@storefront/events';
import { z } from 'zod';
import type { PrismaClient } from '../database.ts';
import type { ProductImport } from '../generated/prisma/client.ts';
import type { ImportJobs } from './import-jobs.ts';

export type { ProductImport };

/** The heavy-job queue the import workers read (see workers.ts). */
export const PRODUCT_IMPORT_QUEUE = 'jobs.product-imports';
export const UPLOAD_URL_LIFETIME_MS = 15 * 60_000;

export type ProductImportStatus = 'AWAITING_UPLOAD' | 'UPLOADED' | 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** The path clients PUT the file to, on the router; the signature covers exactly this path. */
export const publicUploadPath = (importId: string) => `/files/catalog/imports/${importId}.csv`;

/**
 * jobId = import id: starting an import twice adds one job. Three attempts with exponential backoff (5 s,
 * 10 s) for transient failures (database restart); each attempt resumes at the import's checkpoint. A bad file
 * fails at once (UnrecoverableError). Finished jobs stay a day (failed ones a week) for the dashboard; the
 * import row is the lasting record.
 */
export const PRODUCT_IMPORT_JOB_OPTIONS = heavyJobOptions({ attempts: 3, backoffMs: 5_000 });

export interface ProductImportJobData {
  importId: string;
}

export type ProductImportPayload = { productImport: ProductImport | null; errors: InputError[] };

/** A new import waiting for its file, and the signed URL (PUT, 15 minutes) to upload it to. */
export async function createProductImport(
  prisma: PrismaClient,
  files: FileSigningConfig,
  adminId: string,
  now: Date = new Date(),
): Promise<{ productImport: ProductImport; uploadUrl: string; uploadUrlExpiresAt: Date }> {
  const productImport = await prisma.productImport.create({ data: { createdById: adminId } });
  const uploadUrlExpiresAt = new Date(now.getTime() + UPLOAD_URL_LIFETIME_MS);
  const uploadUrl = signUrl(files.secret, files.publicUrl, { method: 'PUT', path: publicUploadPath(productImport.id), expiresAt: uploadUrlExpiresAt });
  return { productImport, uploadUrl, uploadUrlExpiresAt };
}

/**
 * Queues an uploaded import. UPLOADED → QUEUED is a conditional update, so concurrent starts queue it once;
 * starting a QUEUED import again re-adds its job (a no-op while the job exists, by jobId), which also repairs
 * a start whose job was never added. If adding the job fails, the import goes back to UPLOADED. If Redis does
 * not take it within its deadline (ImportJobs), whether the job exists is unknown (Redis may run the command when it
 * thaws): the import stays QUEUED and the caller gets SERVICE_UNAVAILABLE, since starting it again is safe.
 */
export async function startProductImport(prisma: PrismaClient, jobs: Pick<ImportJobs, 'queueImport'>, id: string): Promise<ProductImportPayload> {
  const moved = await prisma.productImport.updateMany({ where: { id, status: 'UPLOADED' }, data: { status: 'QUEUED' } });
  const current = await prisma.productImport.findUnique({ where: { id } });
  if (!current) return { productImport: null, errors: [inputError(['id'], InputErrorCode.NOT_FOUND, 'No such import')] };
  if (current.status !== 'QUEUED') {
    const message = current.status === 'AWAITING_UPLOAD' ? 'Upload the file before starting the import' : `The import is already ${current.status}`;
    return { productImport: current, errors: [inputError(['id'], InputErrorCode.INVALID_STATE, message)] };
  }
  try {
    await jobs.queueImport(id);
  } catch (error) {
    if (error instanceof DeadlineExceededError) {
      throw serviceUnavailable('The import could not be queued right now; start it again in a moment');
    }
    if (moved.count === 1) await prisma.productImport.updateMany({ where: { id, status: 'QUEUED' }, data: { status: 'UPLOADED' } });
    throw error;
  }
  return { productImport: current, errors: [] };
}

/** 0–100: rows read of the rows the file holds (100 once finished, whatever the file held). */
export function importProgress(row: ProductImport): number {
  if (row.status === 'SUCCEEDED') return 100;
  if (!row.totalRows) return 0;
  return Math.min(100, Math.floor((row.processedRows * 100) / row.totalRows));
}

export const importPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });
export type ImportPosition = z.infer<typeof importPosition>;
export const importPositionOf = (row: ProductImport): ImportPosition => ({ createdAt: row.createdAt.toISOString(), id: row.id });

/** Newest first, one row extra for hasNextPage. */
export function listProductImports(prisma: PrismaClient, page: Page<ImportPosition>): Promise<ProductImport[]> {
  const after = page.after;
  const createdAt = after ? new Date(after.createdAt) : undefined;
  return prisma.productImport.findMany({
    where: after ? { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: after.id } }] } : {},
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: page.first + 1,
  });
}

export const errorPosition = z.object({ line: z.number().int() });
export type ErrorPosition = z.infer<typeof errorPosition>;

/** An import's kept row errors in line order, one extra for hasNextPage. */
export function listImportErrors(prisma: PrismaClient, importId: string, page: Page<ErrorPosition>) {
  return prisma.productImportError.findMany({
    where: { importId, ...(page.after ? { line: { gt: page.after.line } } : {}) },
    orderBy: { line: 'asc' },
    take: page.first + 1,
  });
}
