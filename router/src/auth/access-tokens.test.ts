import { createSecretKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { AuthenticationError, createInternalIdentitySigner, viewerWithRoles } from '@storefront/identity';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { createAccessTokenVerifier, type AccessTokenKeys } from './access-tokens.ts';

/* The router's check of client access tokens, with each way a token can be wrong. */

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const ISSUER = 'test-issuer';
const AUDIENCE = 'test-audience';
const userId = randomUUID();
const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const verifierWith = (keys: AccessTokenKeys) => createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, clockSkewSeconds: 5 });
const hsVerifier = verifierWith({ kind: 'secret', secret: SECRET });

async function token(options: { claims?: JWTPayload; header?: Record<string, unknown>; key?: 'hs' | 'es'; expiresIn?: number; secret?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const alg = options.key === 'es' ? 'ES256' : 'HS256';
  return new SignJWT({ roles: ['CUSTOMER'], scope: 'orders:read orders:write', ...options.claims })
    .setProtectedHeader({ alg, typ: 'at+jwt', ...(options.key === 'es' ? { kid: 'k1' } : {}), ...options.header })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 900))
    .sign(options.key === 'es' ? es256.privateKey : createSecretKey(Buffer.from(options.secret ?? SECRET)));
}

async function refusal(authenticate: (header: string | undefined) => Promise<unknown>, header: string): Promise<string> {
  const outcome = await authenticate(header).then(
    () => 'accepted',
    (error: unknown) => (error instanceof AuthenticationError ? error.message : `unexpected ${String(error)}`),
  );
  return outcome;
}

describe('access token verification', () => {
  it('turns a valid token into the viewer, and no header into an anonymous request', async () => {
    expect(await hsVerifier(`Bearer ${await token()}`)).toEqual({ userId, roles: ['CUSTOMER'], scopes: ['orders:read', 'orders:write'] });
    expect(await hsVerifier(undefined)).toBeNull();
  });

  it('refuses an expired token, allowing only the configured clock skew', async () => {
    expect(await refusal(hsVerifier, `Bearer ${await token({ expiresIn: -60 })}`)).toBe('Invalid access token: token expired');
    expect(await hsVerifier(`Bearer ${await token({ expiresIn: -2 })}`)).not.toBeNull();
  });

  it('refuses a token that expires while it is remembered as verified (inside the cache window)', async () => {
    const strict = createAccessTokenVerifier({ keys: { kind: 'secret', secret: SECRET }, issuer: ISSUER, audience: AUDIENCE, clockSkewSeconds: 0 });
    const shortLived = await token({ expiresIn: 1 });
    const expiresAtMs = (JSON.parse(Buffer.from(shortLived.split('.')[1] ?? '', 'base64url').toString()) as { exp: number }).exp * 1000;
    expect(await strict(`Bearer ${shortLived}`)).toMatchObject({ userId });
    // The cache remembers it for a minute; the token lives about a second.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMs - Date.now()) + 50));
    expect(await refusal(strict, `Bearer ${shortLived}`)).toBe('Invalid access token: token expired');
    // Forgotten, not just refused once: a second try is refused the same way.
    expect(await refusal(strict, `Bearer ${shortLived}`)).toBe('Invalid access token: token expired');
  });

  it('refuses a token not yet valid (nbf in the future)', async () => {
    const notYet = await token({ claims: { nbf: Math.floor(Date.now() / 1000) + 120 } });
    expect(await refusal(hsVerifier, `Bearer ${notYet}`)).toMatch(/claim "nbf"/);
  });

  it('refuses a tampered payload and a token signed with another secret', async () => {
    const [header, , signature] = (await token()).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: userId, roles: ['ADMIN'], scope: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 })).toString('base64url');
    expect(await refusal(hsVerifier, `Bearer ${header}.${forged}.${signature}`)).toBe('Invalid access token: signature verification failed');
    expect(await refusal(hsVerifier, `Bearer ${await token({ secret: 'another-secret-that-is-long-enough-too' })}`)).toBe(
      'Invalid access token: signature verification failed',
    );
  });

  it('refuses alg:none', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode({ sub: userId, roles: ['ADMIN'], iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60 })}.`;
    expect(await refusal(hsVerifier, `Bearer ${unsigned}`)).toMatch(/^Invalid access token: /);
  });

  it('refuses the wrong audience, the wrong issuer and the wrong token type', async () => {
    const wrongAudience = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer(ISSUER).setAudience('another-api').setSubject(userId).setExpirationTime('5m').sign(createSecretKey(Buffer.from(SECRET)));
    const wrongIssuer = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer('evil').setAudience(AUDIENCE).setSubject(userId).setExpirationTime('5m').sign(createSecretKey(Buffer.from(SECRET)));
    expect(await refusal(hsVerifier, `Bearer ${wrongAudience}`)).toBe('Invalid access token: claim "aud" is invalid (check_failed)');
    expect(await refusal(hsVerifier, `Bearer ${wrongIssuer}`)).toBe('Invalid access token: claim "iss" is invalid (check_failed)');
    expect(await refusal(hsVerifier, `Bearer ${await token({ header: { typ: 'JWT' } })}`)).toMatch(/claim "typ"/);
  });

  it('refuses an internal identity token presented as an access token', async () => {
    const internal = createInternalIdentitySigner({ privateKey: generateKeyPairSync('ed25519').privateKey }).sign(AUDIENCE, viewerWithRoles(userId, ['ADMIN']));
    expect(await refusal(hsVerifier, `Bearer ${internal}`)).toMatch(/^Invalid access token: /);
  });

  it('refuses malformed headers and tokens', async () => {
    expect(await refusal(hsVerifier, 'Basic dXNlcjpwYXNz')).toMatch(/^Malformed Authorization header/);
    expect(await refusal(hsVerifier, 'Bearer not-a-jwt')).toMatch(/^Malformed Authorization header/);
    expect(await refusal(hsVerifier, 'Bearer aaa.bbb.ccc')).toMatch(/^Invalid access token: /);
  });

  it('refuses tokens without a user id', async () => {
    const noSubject = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(createSecretKey(Buffer.from(SECRET)));
    expect(await refusal(hsVerifier, `Bearer ${noSubject}`)).toMatch(/^Invalid access token: /);
  });

  describe('with a key set (ES256)', () => {
    let jwksVerifier: ReturnType<typeof verifierWith>;
    beforeAll(async () => {
      jwksVerifier = verifierWith({ kind: 'jwks-file', jwks: { keys: [{ ...(await exportJWK(es256.publicKey)), kid: 'k1', alg: 'ES256' }] } });
    });

    it('accepts tokens signed by the published key', async () => {
      expect(await jwksVerifier(`Bearer ${await token({ key: 'es' })}`)).toMatchObject({ userId });
    });

    it('refuses HS256 tokens, even ones keyed with the public key (algorithm confusion)', async () => {
      const publicPem = es256.publicKey.export({ format: 'pem', type: 'spki' }).toString();
      expect(await refusal(jwksVerifier, `Bearer ${await token({ secret: publicPem, header: { kid: 'k1' } })}`)).toMatch(/^Invalid access token: /);
    });
  });
});
