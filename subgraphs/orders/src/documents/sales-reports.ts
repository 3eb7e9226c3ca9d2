import { UnrecoverableError, type Job } from 'bullmq';
import { z } from 'zod';
import { InputErrorCode, serviceUnavailable, validateInput, type InputError, type Page } from '@storefront/api-conventions';
import { DeadlineExceededError } from '@storefront/http-host';
import { OrderStatus, type Prisma, type PrismaClient } from '../database.ts';
import { orderNumber } from '../orders.ts';
import { csvRow } from './csv.ts';
import { formatAmount } from './invoice-pdf.ts';
import { salesReportJobData, type DocumentJobs } from './jobs.ts';

/*
 * Sales reports: the orders placed in [from, to) that were sold (PAID or FULFILLED; pending and cancelled
 * orders are no sale), one CSV row per order line (with the order's number, time, status, buyer, ship-to city
 * and country), oldest order first, then one totals row per currency (units and amount).
 * Amounts are decimals in the line's currency (12.50 EUR). The job reads orders by keyset in batches, so a
 * report over years of orders never holds more than one batch of rows; the CSV itself is stored in the row.
 * Orders changing status while the report runs may or may not be in it: it is not a snapshot.
 */

const SOLD: readonly OrderStatus[] = [OrderStatus.PAID, OrderStatus.FULFILLED];
/** Orders per batch: one query with their items, then one progress update. */
export const DEFAULT_REPORT_BATCH_SIZE = 500;
const MAX_SPAN_MS = 5 * 366 * 24 * 60 * 60 * 1000;

export const CSV_HEADER = [
  'type',
  'order_number',
  'order_id',
  'placed_at',
  'status',
  'buyer_id',
  'ship_city',
  'ship_country',
  'line',
  'purchasable_id',
  'quantity',
  'unit_price',
  'line_total',
  'currency',
] as const;

/** The report row without its CSV: what lists and GraphQL read. */
export const REPORT_SUMMARY = {
  id: true,
  requestedBy: true,
  from: true,
  to: true,
  status: true,
  progress: true,
  rowCount: true,
  error: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
} as const satisfies Prisma.SalesReportSelect;
export type SalesReportSummary = Prisma.SalesReportGetPayload<{ select: typeof REPORT_SUMMARY }>;

const requestInput = z
  .object({ from: z.date(), to: z.date() })
  .superRefine(({ from, to }, context) => {
    if (to.getTime() <= from.getTime()) {
      context.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from', params: { code: InputErrorCode.INVALID } });
    } else if (to.getTime() - from.getTime() > MAX_SPAN_MS) {
      context.addIssue({ code: 'custom', path: ['to'], message: 'A report covers at most five years', params: { code: InputErrorCode.TOO_BIG } });
    }
  });

export type RequestSalesReportResult = { report: SalesReportSummary | null; errors: InputError[] };

/**
 * Records a QUEUED report and adds its job (jobId = report id). If the job cannot be added the report is
 * marked FAILED, so no report waits forever for a job that does not exist; when Redis did not take it within
 * its deadline, the admin gets SERVICE_UNAVAILABLE (retry shortly) instead of waiting for Redis.
 */
export async function requestSalesReport(
  prisma: PrismaClient,
  jobs: DocumentJobs,
  requestedBy: string,
  input: unknown,
): Promise<RequestSalesReportResult> {
  const validated = validateInput(requestInput, input);
  if (!validated.ok) return { report: null, errors: validated.errors };
  const report = await prisma.salesReport.create({ data: { requestedBy, ...validated.value }, select: REPORT_SUMMARY });
  try {
    await jobs.requestSalesReport(report.id);
  } catch (error) {
    await prisma.salesReport.update({ where: { id: report.id }, data: { status: 'FAILED', error: 'The report could not be queued', finishedAt: new Date() } });
    if (error instanceof DeadlineExceededError) throw serviceUnavailable('The report could not be queued right now; request it again in a moment');
    throw error;
  }
  return { report, errors: [] };
}

/** Reports are listed newest first; the cursor is the last row's (createdAt, id). */
export const reportPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });
export type ReportPosition = z.infer<typeof reportPosition>;
export const reportPositionOf = (report: SalesReportSummary): ReportPosition => ({ createdAt: report.createdAt.toISOString(), id: report.id });

export function listSalesReports(prisma: PrismaClient, page: Page<ReportPosition>): Promise<SalesReportSummary[]> {
  const after = page.after;
  return prisma.salesReport.findMany({
    where: after
      ? { OR: [{ createdAt: { lt: new Date(after.createdAt) } }, { createdAt: new Date(after.createdAt), id: { lt: after.id } }] }
      : {},
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: page.first + 1,
    select: REPORT_SUMMARY,
  });
}

export function findSalesReport(prisma: PrismaClient, id: string): Promise<SalesReportSummary | null> {
  return prisma.salesReport.findUnique({ where: { id }, select: REPORT_SUMMARY });
}

/** Where the processor reports progress (the job, in production; tests may pass nothing). */
export type ProgressSink = (percent: number) => Promise<void>;

interface CurrencyTotals {
  units: number;
  amountCents: number;
}

/**
 * Builds the report's CSV and stores it. Idempotent: a READY report is left alone, any other state starts
 * over (a worker that died mid-report leaves a RUNNING row behind; the retry rebuilds it from scratch).
 */
export async function buildSalesReport(
  prisma: PrismaClient,
  reportId: string,
  progress: ProgressSink = async () => {},
  batchSize: number = DEFAULT_REPORT_BATCH_SIZE,
): Promise<SalesReportSummary> {
  const report = await findSalesReport(prisma, reportId);
  if (!report) throw new UnrecoverableError(`No sales report ${reportId}`);
  if (report.status === 'READY') return report;
  await prisma.salesReport.update({
    where: { id: reportId },
    data: { status: 'RUNNING', progress: 0, rowCount: 0, error: null, csv: null, startedAt: new Date(), finishedAt: null },
  });
  const inRange: Prisma.OrderWhereInput = { placedAt: { gte: report.from, lt: report.to }, status: { in: [...SOLD] } };
  const orderCount = await prisma.order.count({ where: inRange });
  const chunks: string[] = [csvRow(CSV_HEADER)];
  const totals = new Map<string, CurrencyTotals>();
  let rowCount = 0;
  let ordersDone = 0;
  let after: { placedAt: Date; id: string } | null = null;
  for (;;) {
    const batch: Array<Prisma.OrderGetPayload<{ include: { items: true } }>> = await prisma.order.findMany({
      where: after ? { AND: [inRange, { OR: [{ placedAt: { gt: after.placedAt } }, { placedAt: after.placedAt, id: { gt: after.id } }] }] } : inRange,
      orderBy: [{ placedAt: 'asc' }, { id: 'asc' }],
      take: batchSize,
      include: { items: { orderBy: { position: 'asc' } } },
    });
    for (const order of batch) {
      for (const [index, item] of order.items.entries()) {
        const lineCents = item.unitPriceCents * item.quantity;
        chunks.push(
          csvRow([
            'line',
            orderNumber(order.seq),
            order.id,
            order.placedAt.toISOString(),
            order.status,
            order.userId,
            order.shipCity,
            order.shipCountry,
            index + 1,
            item.purchasableId,
            item.quantity,
            formatAmount(item.unitPriceCents, item.currency),
            formatAmount(lineCents, item.currency),
            item.currency,
          ]),
        );
        const sum = totals.get(item.currency) ?? { units: 0, amountCents: 0 };
        sum.units += item.quantity;
        sum.amountCents += lineCents;
        totals.set(item.currency, sum);
        rowCount += 1;
      }
    }
    ordersDone += batch.length;
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) break;
    after = { placedAt: last.placedAt, id: last.id };
    // The last percent is READY's: a report at 100 can be downloaded.
    const percent = Math.min(99, Math.floor((ordersDone / Math.max(orderCount, 1)) * 100));
    await prisma.salesReport.update({ where: { id: reportId }, data: { progress: percent, rowCount } });
    await progress(percent);
  }
  for (const [currency, sum] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
    chunks.push(csvRow(['total', null, null, null, null, null, null, null, null, null, sum.units, null, formatAmount(sum.amountCents, currency), currency]));
  }
  const ready = await prisma.salesReport.update({
    where: { id: reportId },
    data: { status: 'READY', progress: 100, rowCount, csv: chunks.join(''), finishedAt: new Date() },
    select: REPORT_SUMMARY,
  });
  await progress(100);
  return ready;
}

/**
 * The jobs.sales-reports processor. A report whose job is given up (unrecoverable, or its last attempt
 * failed) is marked FAILED with the error, so the admin sees why instead of a report stuck RUNNING.
 */
export function salesReportProcessor(prisma: PrismaClient, batchSize: number = DEFAULT_REPORT_BATCH_SIZE) {
  return async (job: Job): Promise<{ rowCount: number }> => {
    const parsed = salesReportJobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`Invalid sales report job data: ${parsed.error.message}`);
    const { reportId } = parsed.data;
    try {
      const report = await buildSalesReport(prisma, reportId, (percent) => job.updateProgress(percent), batchSize);
      return { rowCount: report.rowCount };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const givenUp = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (givenUp) {
        await prisma.salesReport.updateMany({ where: { id: reportId }, data: { status: 'FAILED', error: message.slice(0, 1_000), finishedAt: new Date() } });
      }
      throw error;
    }
  };
}
