import { inputError, InputErrorCode, singleLineText, validateInput, type InputError } from '@storefront/api-conventions';
import { writeToOutbox } from '@storefront/events';
import { z } from 'zod';
import type { AccessTokenIssuer } from './access-tokens.ts';
import type { PrismaClient, User } from './database.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { passwordSchema, type PasswordHasher } from './passwords.ts';
import { REFRESH_TOKEN_PATTERN, revokeRefreshTokenFamily, rotateRefreshToken, startSession, type RotationResult } from './refresh-tokens.ts';
import { userRegisteredEvent } from './user-events.ts';

/** What signUp, logIn, refreshSession and logOut answer: a token pair (or nothing) and field errors. */
export interface SessionPayload {
  accessToken: string | null;
  refreshToken: string | null;
  /** When the access token expires; clients refresh shortly before. */
  expiresAt: Date | null;
  user: User | null;
  errors: InputError[];
}

export interface SessionServices {
  prisma: PrismaClient;
  tokens: AccessTokenIssuer;
  /** The GraphQL request's id: the correlation id of the events it causes. */
  requestId?: string;
  /** Hashes and checks passwords off the request thread (password-hashing.ts). */
  passwords: PasswordHasher;
  /** Slows down password guessing; logIn asks it before checking a password. */
  loginThrottle: LoginThrottle;
  /** The client's address as the router saw it, when it sends one (client-address.ts). */
  clientAddress?: string;
}

const refused = (errors: InputError[]): SessionPayload => ({ accessToken: null, refreshToken: null, expiresAt: null, user: null, errors });

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

const emailSchema = singleLineText().trim().toLowerCase().max(254).pipe(z.email('Enter a valid email address'));

const signUpSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  name: singleLineText().trim().min(1).max(100),
});

/** Login checks no password policy (it may have changed since sign-up), only sane bounds. */
const logInSchema = z.object({
  email: singleLineText().trim().toLowerCase().min(1).max(254),
  password: z.string().min(1).max(256),
});

const refreshTokenSchema = z.string().regex(REFRESH_TOKEN_PATTERN, 'Not a refresh token');

async function sessionFor({ prisma, tokens }: SessionServices, user: User): Promise<SessionPayload> {
  const [access, refresh] = await Promise.all([
    tokens.issue(user),
    startSession(prisma, user.id, tokens.settings.refreshTtlSeconds),
  ]);
  return { accessToken: access.token, refreshToken: refresh.token, expiresAt: access.expiresAt, user, errors: [] };
}

/**
 * Creates a customer account and signs it in. UserRegistered goes to the outbox in the transaction that
 * creates the user: a refused sign-up (the e-mail is taken) rolls both back, so no event announces it.
 */
export async function signUp(services: SessionServices, input: unknown): Promise<SessionPayload> {
  const valid = validateInput(signUpSchema, input);
  if (!valid.ok) return refused(valid.errors);
  const { email, password, name } = valid.value;
  const passwordHash = await services.passwords.hash(password);
  let user: User;
  try {
    user = await services.prisma.$transaction(async (tx) => {
      const created = await tx.user.create({ data: { email, name, passwordHash } });
      await writeToOutbox(tx, userRegisteredEvent(created, services.requestId ?? null));
      return created;
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return refused([inputError(['input', 'email'], InputErrorCode.ALREADY_EXISTS, 'An account with this email already exists')]);
  }
  return sessionFor(services, user);
}

/**
 * Signs in with email and password. Every failure — unknown email, account without a password, wrong
 * password — costs one argon2id run and answers the same error, so neither timing nor wording reveals
 * which emails have accounts. Too many attempts are refused with TOO_MANY_ATTEMPTS (login-throttle.ts)
 * before anything is looked up, in the same way for every e-mail.
 */
export async function logIn(services: SessionServices, input: unknown): Promise<SessionPayload> {
  const valid = validateInput(logInSchema, input);
  if (!valid.ok) return refused(valid.errors);
  const attempt = { email: valid.value.email, clientAddress: services.clientAddress };
  await services.loginThrottle.admit(attempt);
  const user = await services.prisma.user.findUnique({ where: { email: valid.value.email } });
  const matches = await services.passwords.verifyOrDecoy(valid.value.password, user?.passwordHash);
  if (!user || !matches) return refused([inputError(['input'], InputErrorCode.INVALID, 'Email or password is incorrect')]);
  await services.loginThrottle.succeeded(attempt);
  return sessionFor(services, user);
}

const ROTATION_FAILURES: Record<Exclude<RotationResult, { ok: true }>['reason'], string> = {
  unknown: 'This session does not exist; sign in again',
  expired: 'This session has expired; sign in again',
  revoked: 'This session has ended; sign in again',
  reused: 'This refresh token was already used, so the session was ended for safety; sign in again',
};

/** Exchanges a refresh token for a new access token and a new refresh token (the old one stops working). */
export async function refreshSession({ prisma, tokens }: Pick<SessionServices, 'prisma' | 'tokens'>, refreshToken: unknown): Promise<SessionPayload> {
  const valid = validateInput(refreshTokenSchema, refreshToken, ['refreshToken']);
  if (!valid.ok) return refused(valid.errors);
  const rotated = await rotateRefreshToken(prisma, valid.value);
  if (!rotated.ok) return refused([inputError(['refreshToken'], InputErrorCode.INVALID, ROTATION_FAILURES[rotated.reason])]);
  const user = await prisma.user.findUnique({ where: { id: rotated.userId } });
  // The cascade removes a deleted user's tokens, so this is a user deleted mid-request.
  if (!user) return refused([inputError(['refreshToken'], InputErrorCode.INVALID, ROTATION_FAILURES.unknown)]);
  const access = await tokens.issue(user);
  return { accessToken: access.token, refreshToken: rotated.next.token, expiresAt: access.expiresAt, user, errors: [] };
}

/**
 * Ends the session of a refresh token. Access tokens already issued stay valid until they expire (at most
 * ACCESS_TOKEN_TTL_SECONDS): they are verified without asking accounts.
 */
export async function logOut({ prisma }: Pick<SessionServices, 'prisma'>, refreshToken: unknown): Promise<SessionPayload> {
  const valid = validateInput(refreshTokenSchema, refreshToken, ['refreshToken']);
  if (!valid.ok) return refused(valid.errors);
  await revokeRefreshTokenFamily(prisma, valid.value);
  return refused([]);
}
