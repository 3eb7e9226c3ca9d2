import { defineJob, type EventLogger, type JobSpec } from '@storefront/events';
import { type Job, UnrecoverableError, type WorkerOptions } from 'bullmq';
import type { PrismaClient } from '../database.ts';
import { csvRecords, type CsvRecord } from './csv.ts';
import { applyBatch, CheckpointMovedError } from './import-batches.ts';
import { ImportFormatError, parseHeader, parseRow, type ProductRow } from './import-rows.ts';
import { PRODUCT_IMPORT_QUEUE, type ProductImportJobData } from './product-imports.ts';

export interface ImportJobOptions {
  /** Rows per transaction (and per upsert statement). */
  batchSize?: number;
  /** BullMQ worker settings (tests shorten lockDuration to see a killed worker's job come back sooner). */
  workerOptions?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency'>;
}

export interface ImportJobResult {
  importId: string;
  status: 'SUCCEEDED' | 'FAILED';
  processedRows: number;
  failedRows: number;
}

const DEFAULT_BATCH_SIZE = 1_000;
const BATCH_TIMEOUT_MS = 60_000;

/** The uploaded file's bytes, one stored piece at a time (memory stays at about a piece). */
async function* storedFile(prisma: PrismaClient, importId: string, uploadId: string): AsyncGenerator<Uint8Array> {
  for (let seq = 0; ; seq++) {
    const chunk = await prisma.productImportChunk.findUnique({ where: { importId_uploadId_seq: { importId, uploadId, seq } }, select: { data: true } });
    if (!chunk) return;
    yield chunk.data;
  }
}

async function markFailed(prisma: PrismaClient, importId: string, reason: string): Promise<void> {
  await prisma.productImport.updateMany({
    where: { id: importId, status: { in: ['QUEUED', 'RUNNING'] } },
    data: { status: 'FAILED', failureReason: reason.slice(0, 2_000), finishedAt: new Date() },
  });
}

/**
 * Imports one uploaded CSV (see import-rows.ts for its columns). Resumable: each batch commits its rows with
 * the checkpoint (next_line), and a later attempt — after a crash, a killed worker, a stalled lock — skips the
 * records before the checkpoint. Progress goes to the job (job.updateProgress, 0–100) and to the import row.
 */
export async function runProductImport(prisma: PrismaClient, job: Job<ProductImportJobData>, options: ImportJobOptions = {}, logger?: EventLogger): Promise<ImportJobResult> {
  const { importId } = job.data;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const found = await prisma.productImport.findUnique({ where: { id: importId } });
  if (!found) throw new UnrecoverableError(`No product import ${importId}`);
  if (found.status === 'SUCCEEDED' || found.status === 'FAILED') {
    // A duplicate delivery of a finished import: report, do nothing.
    return { importId, status: found.status, processedRows: found.processedRows, failedRows: found.failedRows };
  }
  if (found.status !== 'QUEUED' && found.status !== 'RUNNING') throw new UnrecoverableError(`Product import ${importId} is ${found.status}, not queued`);
  const { uploadId } = found;
  if (!uploadId) throw new UnrecoverableError(`Product import ${importId} has no uploaded file`);
  await prisma.productImport.update({ where: { id: importId }, data: { status: 'RUNNING', startedAt: found.startedAt ?? new Date() } });

  const categories = new Map((await prisma.category.findMany({ select: { id: true, slug: true } })).map((c) => [c.slug, c.id]));
  /** Records starting before this line were applied by an earlier attempt. */
  const resumeAt = found.nextLine;
  let checkpoint = resumeAt;
  let header: { columns: ReturnType<typeof parseHeader>; width: number } | undefined;
  let rows: ProductRow[] = [];
  let errors: Array<{ line: number; message: string }> = [];
  let lastLine = checkpoint - 1;
  let counts = { processedRows: found.processedRows, failedRows: found.failedRows };

  // One batch commits while the next is parsed: the database works while this process reads. Batches still
  // commit in order, each from the checkpoint the previous one left.
  let committing: Promise<void> = Promise.resolve();
  let commitFailure: unknown;
  let plannedLine = checkpoint;
  const commit = async () => {
    if (rows.length === 0 && errors.length === 0) return;
    const batch = { importId, fromLine: plannedLine, toLine: lastLine + 1, rows, errors };
    plannedLine = batch.toLine;
    rows = [];
    errors = [];
    await committing;
    if (commitFailure !== undefined) throw commitFailure;
    committing = (async () => {
      counts = await prisma.$transaction((tx) => applyBatch(tx, batch), { timeout: BATCH_TIMEOUT_MS });
      checkpoint = batch.toLine;
      if (found.totalRows) await job.updateProgress(Math.min(99, Math.floor((counts.processedRows * 100) / found.totalRows)));
    })().catch((error: unknown) => {
      commitFailure = error;
    });
  };
  const drain = async () => {
    await committing;
    if (commitFailure !== undefined) throw commitFailure;
  };

  try {
    for await (const record of csvRecords(storedFile(prisma, importId, uploadId))) {
      if (!header) {
        header = { columns: parseHeader(record.fields), width: record.fields.length };
        continue;
      }
      if (record.line < resumeAt) continue;
      collect(record, header);
      lastLine = record.line;
      if (rows.length + errors.length >= batchSize) await commit();
    }
    if (!header) throw new ImportFormatError('The file is empty: it needs a header line');
    await commit();
    await drain();
  } catch (error) {
    // Let a batch still in flight settle before judging the failure (its outcome is caught, never unhandled).
    await committing;
    if (error instanceof CheckpointMovedError) throw error;
    const permanent = error instanceof ImportFormatError || error instanceof UnrecoverableError;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const message = error instanceof Error ? error.message : String(error);
    if (permanent || lastAttempt) {
      await markFailed(prisma, importId, message);
      logger?.error({ importId, err: message }, 'product import failed');
    }
    throw permanent && !(error instanceof UnrecoverableError) ? new UnrecoverableError(message) : error;
  }

  const finished = await prisma.$transaction(async (tx) => {
    const done = await tx.productImport.updateMany({
      where: { id: importId, status: 'RUNNING', nextLine: checkpoint },
      data: { status: 'SUCCEEDED', finishedAt: new Date() },
    });
    // The file has served its purpose (with any pieces an interrupted upload left); the row and its errors remain.
    if (done.count === 1) await tx.productImportChunk.deleteMany({ where: { importId } });
    return done.count === 1;
  });
  if (!finished) throw new CheckpointMovedError(importId, checkpoint, -1);
  await job.updateProgress(100);
  logger?.info({ importId, ...counts }, 'product import finished');
  return { importId, status: 'SUCCEEDED', ...counts };

  function collect(record: CsvRecord, head: { columns: ReturnType<typeof parseHeader>; width: number }) {
    if (record.error) {
      errors.push({ line: record.line, message: record.error });
      return;
    }
    const result = parseRow(record.line, record.fields, head.columns, head.width, categories);
    if (result.ok) rows.push(result.row);
    else errors.push({ line: result.line, message: result.message });
  }
}

/** The jobs.product-imports worker, for a service's createWorkers (one import at a time per process). */
export function productImportJob(prisma: PrismaClient, options: ImportJobOptions = {}, logger?: EventLogger): JobSpec {
  return defineJob<ProductImportJobData, ImportJobResult>({
    queue: PRODUCT_IMPORT_QUEUE,
    processor: (job) => runProductImport(prisma, job, options, logger),
    concurrency: 1,
    ...(options.workerOptions ? { workerOptions: options.workerOptions } : {}),
  });
}
