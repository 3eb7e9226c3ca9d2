/*
 * The contract between accounts (which issues access tokens) and the router (which verifies them): JWTs in the
 * RFC 9068 shape — `typ: at+jwt`, iss, aud, sub (the user id), roles, scope (space-separated), exp, iat, jti.
 */

/** RFC 9068's media type for JWT access tokens; the router refuses other `typ`s (e.g. internal identity tokens). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Issuer and audience both sides use unless JWT_ISSUER / JWT_AUDIENCE say otherwise. */
export const ACCESS_TOKEN_DEFAULTS = { issuer: 'storefront-accounts', audience: 'storefront' } as const;
