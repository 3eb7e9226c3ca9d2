import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { PrismaClient } from './database.ts';

/*
 * Refresh tokens are opaque (256 random bits, base64url) and stored only as a SHA-256 hash. Each sign-in
 * starts a family; each refresh rotates the token (the old row is revoked and names its successor). A rotated
 * token presented again means two parties hold the family — the legitimate client and a thief — so the whole
 * family is revoked and both must sign in again (RFC 9700 §4.14.2).
 */

export const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface NewRefreshToken {
  token: string;
  familyId: string;
  expiresAt: Date;
}

type Db = Pick<PrismaClient, 'refreshToken'>;

async function insertToken(db: Db, userId: string, familyId: string, ttlSeconds: number): Promise<NewRefreshToken & { id: string }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  const row = await db.refreshToken.create({ data: { userId, familyId, tokenHash: hashToken(token), expiresAt } });
  return { id: row.id, token, familyId, expiresAt };
}

/** The first token of a new session (a new family). */
export async function startSession(prisma: PrismaClient, userId: string, ttlSeconds: number): Promise<NewRefreshToken> {
  const { token, familyId, expiresAt } = await insertToken(prisma, userId, randomUUID(), ttlSeconds);
  return { token, familyId, expiresAt };
}

export type RotationResult =
  | { ok: true; userId: string; next: NewRefreshToken }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' };

/**
 * Exchanges a refresh token for its successor. The row is locked, so of two concurrent refreshes with one
 * token exactly one rotates it and the other is treated as reuse. The family keeps the first token's expiry:
 * rotating does not extend a session forever.
 */
export async function rotateRefreshToken(prisma: PrismaClient, token: string): Promise<RotationResult> {
  return prisma.$transaction(async (tx): Promise<RotationResult> => {
    const tokenHash = hashToken(token);
    const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM refresh_tokens WHERE token_hash = ${tokenHash} FOR UPDATE`;
    if (!locked) return { ok: false, reason: 'unknown' };
    const current = await tx.refreshToken.findUniqueOrThrow({ where: { id: locked.id } });
    if (current.replacedBy) {
      await tx.refreshToken.updateMany({ where: { familyId: current.familyId, revokedAt: null }, data: { revokedAt: new Date() } });
      return { ok: false, reason: 'reused' };
    }
    if (current.revokedAt) return { ok: false, reason: 'revoked' };
    if (current.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
    const ttlSeconds = Math.max(1, Math.floor((current.expiresAt.getTime() - Date.now()) / 1000));
    const next = await insertToken(tx, current.userId, current.familyId, ttlSeconds);
    await tx.refreshToken.update({ where: { id: current.id }, data: { revokedAt: new Date(), replacedBy: next.id } });
    return { ok: true, userId: current.userId, next: { token: next.token, familyId: next.familyId, expiresAt: next.expiresAt } };
  });
}

/** Ends the session the token belongs to (its whole family). Unknown tokens are ignored: logging out twice is fine. */
export async function revokeRefreshTokenFamily(prisma: PrismaClient, token: string): Promise<void> {
  const row = await prisma.refreshToken.findUnique({ where: { tokenHash: hashToken(token) }, select: { familyId: true } });
  if (!row) return;
  await prisma.refreshToken.updateMany({ where: { familyId: row.familyId, revokedAt: null }, data: { revokedAt: new Date() } });
}
