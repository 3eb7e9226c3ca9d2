import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ErrorCode, httpErrorBody } from '@storefront/api-conventions';
import { sendJson, type RouteHandler } from '@storefront/http-host';
import { verifySignedUrl, type FileSigningConfig } from '@storefront/identity';
import type { PrismaClient } from '../database.ts';
import { CsvParser } from './csv.ts';
import { publicUploadPath } from './product-imports.ts';

/** Uploads larger than this are refused (413) before or while they stream in. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** Stored piece size: big enough that a 100 MB file is a hundred rows, small enough to hold one in memory. */
const CHUNK_BYTES = 1024 * 1024;

const UPLOAD_PATH = /^\/files\/imports\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.csv$/;

class UploadRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Counts the file's data rows (records after the header) as it streams through, quoted line breaks included. */
function rowCounter() {
  const decoder = new TextDecoder('utf-8');
  const parser = new CsvParser();
  let records = 0;
  return {
    push(bytes: Uint8Array) {
      records += parser.push(decoder.decode(bytes, { stream: true })).length;
    },
    dataRows() {
      records += parser.push(decoder.decode()).length + parser.end().length;
      return Math.max(0, records - 1);
    },
  };
}

/**
 * PUT /files/imports/<id>.csv — the router forwards the public /files/catalog/imports/<id>.csv here. The URL's
 * signature (over the public path, method PUT) is the only credential: createProductImport handed it to an
 * admin. The body streams into product_import_chunks under an id of its own, a statement per piece and no
 * transaction, so a slow client holds no connection and no lock (on the embedded database, one connection is
 * all the catalog has). Only when the file is complete does a short transaction, under the import's row lock,
 * make it the import's file and drop the file it replaces: two uploads of one import never mix, the last to
 * finish wins, and a failed or aborted one removes its own pieces. Allowed until the import is started.
 */
export function productImportUploadRoute(prisma: PrismaClient, files: FileSigningConfig): RouteHandler {
  return async (req, res) => {
    // The host has already chosen the request id (and sent it as x-request-id).
    const requestId = String(res.getHeader('x-request-id') ?? '');
    const url = new URL(req.url ?? '/', 'http://catalog');
    const importId = UPLOAD_PATH.exec(url.pathname)?.[1];
    if (!importId) {
      sendJson(res, 404, httpErrorBody(ErrorCode.NOT_FOUND, `No file at ${url.pathname}`, requestId));
      return;
    }
    if (req.method !== 'PUT') {
      res.setHeader('allow', 'PUT');
      sendJson(res, 405, httpErrorBody(ErrorCode.BAD_REQUEST, 'Upload the file with PUT', requestId));
      return;
    }
    const check = verifySignedUrl(files.secret, 'PUT', publicUploadPath(importId), url.searchParams);
    if (!check.ok) {
      sendJson(res, 403, httpErrorBody(ErrorCode.FORBIDDEN, `The upload URL is ${check.reason === 'EXPIRED' ? 'expired' : 'not valid'}`, requestId));
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_UPLOAD_BYTES) {
      res.setHeader('connection', 'close');
      sendJson(res, 413, httpErrorBody(ErrorCode.PAYLOAD_TOO_LARGE, `The file exceeds ${MAX_UPLOAD_BYTES} bytes`, requestId));
      return;
    }
    try {
      const stored = await storeUpload(prisma, importId, req);
      sendJson(res, 200, JSON.stringify({ id: importId, status: 'UPLOADED', bytes: stored.bytes, totalRows: stored.totalRows }));
    } catch (error) {
      if (!(error instanceof UploadRefused)) throw error;
      if (error.status === 413) res.setHeader('connection', 'close');
      sendJson(res, error.status, httpErrorBody(error.code, error.message, requestId));
    }
  };
}

const UPLOADABLE = ['AWAITING_UPLOAD', 'UPLOADED'];

function assertUploadable(status: string | undefined): void {
  if (status === undefined) throw new UploadRefused(404, ErrorCode.NOT_FOUND, 'No such import');
  if (!UPLOADABLE.includes(status)) throw new UploadRefused(409, ErrorCode.BAD_REQUEST, `The import is ${status}; its file can no longer change`);
}

async function storeUpload(prisma: PrismaClient, importId: string, body: http.IncomingMessage): Promise<{ bytes: number; totalRows: number }> {
  // Refused before a byte is stored; checked again, under the lock, when the file is complete.
  const found = await prisma.productImport.findUnique({ where: { id: importId }, select: { status: true } });
  assertUploadable(found?.status);
  const uploadId = randomUUID();
  try {
    const { bytes, totalRows } = await streamChunks(prisma, importId, uploadId, body);
    await prisma.$transaction(async (tx) => {
      const [current] = await tx.$queryRaw<Array<{ status: string; upload_id: string | null }>>`
        SELECT status, upload_id::text FROM product_imports WHERE id = ${importId}::uuid FOR UPDATE`;
      assertUploadable(current?.status);
      const replaced = current?.upload_id;
      if (replaced) await tx.productImportChunk.deleteMany({ where: { importId, uploadId: replaced } });
      await tx.productImport.update({
        where: { id: importId },
        data: { status: 'UPLOADED', uploadId, uploadedBytes: bytes, totalRows, uploadedAt: new Date() },
      });
    });
    return { bytes, totalRows };
  } catch (error) {
    // Too large, aborted, refused at the end or a database error: this upload's pieces are nobody's file.
    await prisma.productImportChunk.deleteMany({ where: { importId, uploadId } }).catch(() => undefined);
    throw error;
  }
}

/** Stores the body in pieces of about CHUNK_BYTES under `uploadId`, counting its rows as they pass. */
async function streamChunks(prisma: PrismaClient, importId: string, uploadId: string, body: http.IncomingMessage) {
  const counter = rowCounter();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let seq = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await prisma.productImportChunk.create({ data: { importId, uploadId, seq, data } });
    seq += 1;
  };
  for await (const piece of body as AsyncIterable<Buffer>) {
    bytes += piece.length;
    if (bytes > MAX_UPLOAD_BYTES) throw new UploadRefused(413, ErrorCode.PAYLOAD_TOO_LARGE, `The file exceeds ${MAX_UPLOAD_BYTES} bytes`);
    counter.push(piece);
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes >= CHUNK_BYTES) await flush();
  }
  await flush();
  return { bytes, totalRows: counter.dataRows() };
}
