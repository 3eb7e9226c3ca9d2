import type http from 'node:http';
import { ErrorCode, httpErrorBody } from '@storefront/api-conventions';
import { sendJson, type RouteHandler } from '@storefront/http-host';
import { signUrl, verifySignedUrl, type FileSigningConfig } from '@storefront/identity';
import type { PrismaClient } from '../database.ts';

/*
 * Invoice PDFs and report CSVs are downloaded outside GraphQL, through signed URLs that a GraphQL field hands
 * to a viewer it has authorized. Public URLs go through the router: /files/orders/<rest> there is forwarded
 * to /files/<rest> here, and the signature covers the PUBLIC path, so a URL cannot be replayed for another
 * file or another service.
 */

export const FILES_PREFIX = '/files/';
const PUBLIC_PREFIX = '/files/orders/';
/** Long enough to click, short enough that a leaked link soon stops working. */
export const FILE_URL_LIFETIME_MS = 10 * 60 * 1000;

export const invoicePublicPath = (orderId: string) => `${PUBLIC_PREFIX}invoices/${orderId}.pdf`;
export const reportPublicPath = (reportId: string) => `${PUBLIC_PREFIX}reports/${reportId}.csv`;

/** A signed GET URL on the public origin, valid for FILE_URL_LIFETIME_MS from `now`. */
export function signedDownloadUrl(signing: FileSigningConfig, publicPath: string, now: Date = new Date()): string {
  return signUrl(signing.secret, signing.publicUrl, { method: 'GET', path: publicPath, expiresAt: new Date(now.getTime() + FILE_URL_LIFETIME_MS) });
}

interface StoredFile {
  body: Uint8Array | string;
  contentType: string;
  filename: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const INVOICE_PATH = new RegExp(`^/files/invoices/(${UUID})\\.pdf$`);
const REPORT_PATH = new RegExp(`^/files/reports/(${UUID})\\.csv$`);

async function findFile(prisma: PrismaClient, localPath: string): Promise<StoredFile | null> {
  const invoiceId = INVOICE_PATH.exec(localPath)?.[1];
  if (invoiceId) {
    const invoice = await prisma.invoice.findUnique({ where: { orderId: invoiceId }, select: { number: true, pdf: true } });
    return invoice && { body: invoice.pdf, contentType: 'application/pdf', filename: `${invoice.number}.pdf` };
  }
  const reportId = REPORT_PATH.exec(localPath)?.[1];
  if (reportId) {
    const report = await prisma.salesReport.findUnique({ where: { id: reportId }, select: { csv: true, from: true, to: true, status: true } });
    if (!report || report.status !== 'READY' || report.csv === null) return null;
    const day = (date: Date) => date.toISOString().slice(0, 10);
    return { body: report.csv, contentType: 'text/csv; charset=utf-8', filename: `sales-report-${day(report.from)}-${day(report.to)}.csv` };
  }
  return null;
}

function refuse(res: http.ServerResponse, status: number, code: ErrorCode, message: string): void {
  const requestId = res.getHeader('x-request-id');
  sendJson(res, status, httpErrorBody(code, message, typeof requestId === 'string' ? requestId : undefined));
}

/**
 * GET /files/invoices/<orderId>.pdf and /files/reports/<reportId>.csv. The signature is checked before the
 * database is asked, so without a valid URL nobody learns whether a file exists: 403 for a missing, wrong or
 * expired signature, then 404 for a file that does not exist (or a report not READY).
 */
export function fileRoutes(prisma: PrismaClient, signing: FileSigningConfig): Record<string, RouteHandler> {
  const download: RouteHandler = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      refuse(res, 405, ErrorCode.BAD_REQUEST, 'Files are downloaded with GET');
      return;
    }
    const publicPath = `${PUBLIC_PREFIX}${url.pathname.slice(FILES_PREFIX.length)}`;
    const check = verifySignedUrl(signing.secret, 'GET', publicPath, url.searchParams);
    if (!check.ok) {
      refuse(res, 403, ErrorCode.FORBIDDEN, check.reason === 'EXPIRED' ? 'This link has expired: ask for a new one' : 'This link is not valid');
      return;
    }
    const file = await findFile(prisma, url.pathname);
    if (!file) {
      refuse(res, 404, ErrorCode.NOT_FOUND, 'No such file');
      return;
    }
    const body = typeof file.body === 'string' ? Buffer.from(file.body, 'utf8') : Buffer.from(file.body);
    res.statusCode = 200;
    res.setHeader('content-type', file.contentType);
    res.setHeader('content-length', body.length);
    res.setHeader('content-disposition', `attachment; filename="${file.filename}"`);
    // The URL is a short-lived credential for one person's document: no shared cache may keep the answer.
    res.setHeader('cache-control', 'private, no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    res.end(body);
  };
  return { [FILES_PREFIX]: download };
}
