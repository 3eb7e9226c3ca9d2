import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { envNodeEnv, loadConfig } from '@storefront/config';

/*
 * Signed URLs for files served outside GraphQL (invoice PDFs, report CSVs, import uploads): the GraphQL
 * field that returns one has already authorized the viewer, so the URL itself carries a short-lived
 * capability — an HMAC over method, path and expiry — like a cloud storage pre-signed URL. Whoever holds it
 * until it expires may use it, so lifetimes are minutes and the path names exactly one file.
 */

export interface SignedUrlParts {
  method: 'GET' | 'PUT';
  /** The path on the public origin, e.g. /files/orders/invoices/<orderId>.pdf */
  path: string;
  expiresAt: Date;
}

function signature(secret: string, { method, path, expiresAt }: SignedUrlParts): string {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  return createHmac('sha256', secret).update(`${method}\n${path}\n${expires}`).digest('base64url');
}

/** `<baseUrl><path>?expires=<unix s>&signature=<hmac>` */
export function signUrl(secret: string, baseUrl: string, parts: SignedUrlParts): string {
  const url = new URL(parts.path, baseUrl);
  url.searchParams.set('expires', String(Math.floor(parts.expiresAt.getTime() / 1000)));
  url.searchParams.set('signature', signature(secret, parts));
  return url.toString();
}

export type SignedUrlCheck = { ok: true } | { ok: false; reason: 'MISSING' | 'EXPIRED' | 'INVALID' };

/** Checks a request's path and query against the signature (constant-time) and the expiry. */
export function verifySignedUrl(secret: string, method: string, path: string, query: URLSearchParams, now: Date = new Date()): SignedUrlCheck {
  const expires = query.get('expires');
  const given = query.get('signature');
  if (!expires || !given || !/^\d+$/.test(expires)) return { ok: false, reason: 'MISSING' };
  if (method !== 'GET' && method !== 'PUT') return { ok: false, reason: 'INVALID' };
  const expected = Buffer.from(signature(secret, { method, path, expiresAt: new Date(Number(expires) * 1000) }));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: 'INVALID' };
  if (Number(expires) * 1000 < now.getTime()) return { ok: false, reason: 'EXPIRED' };
  return { ok: true };
}

/** What a process that hands out or checks file URLs needs: the HMAC secret and the public origin. */
export interface FileSigningConfig {
  secret: string;
  /** The router's public origin, e.g. https://shop.example.com: signed URLs point there (/files/<subgraph>/…). */
  publicUrl: string;
}

/** Known to everyone who reads this file: fine on a laptop, refused in production. */
const DEVELOPMENT_FILE_SIGNING_SECRET = 'storefront-development-file-signing-secret-not-for-production';

const fileSigningEnv = z
  .object({
    NODE_ENV: envNodeEnv,
    FILE_SIGNING_SECRET: z.string().min(32, 'FILE_SIGNING_SECRET must be at least 32 characters').optional(),
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:4000'),
  })
  .refine((env) => env.NODE_ENV !== 'production' || env.FILE_SIGNING_SECRET !== undefined, {
    message: 'FILE_SIGNING_SECRET is required in production',
    path: ['FILE_SIGNING_SECRET'],
  });

/**
 * Reads FILE_SIGNING_SECRET and PUBLIC_URL (default http://localhost:4000) once; throws ConfigError naming
 * every problem. The subgraph that signs and the one that verifies must share the secret.
 */
export function fileSigningFromEnv(env: NodeJS.ProcessEnv = process.env): FileSigningConfig {
  const parsed = loadConfig('file signing', fileSigningEnv, env);
  return { secret: parsed.FILE_SIGNING_SECRET ?? DEVELOPMENT_FILE_SIGNING_SECRET, publicUrl: parsed.PUBLIC_URL.replace(/\/+$/, '') };
}
