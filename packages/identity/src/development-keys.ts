/*
 * Well-known keys so a process started on its own in development (or a config test) works without setup.
 * They are public — this file is in the repository — so every process refuses them when NODE_ENV=production.
 * `npm run dev` does not use them: it generates a fresh router identity key pair each time it starts.
 */

/** HS256 secret for access tokens (accounts signs, the router verifies) when JWT_SECRET is not set. */
export const DEVELOPMENT_JWT_SECRET = 'storefront-development-jwt-secret-never-use-in-production';

/** Ed25519 key pair the router signs internal identity tokens with when ROUTER_IDENTITY_PRIVATE_KEY is not set. */
export const DEVELOPMENT_ROUTER_IDENTITY_KEYS = {
  privateKey: `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJjhTtOthh5yj4rDy7Hb/uzmBs6eyH6eLg3eyQFU2ZA3
-----END PRIVATE KEY-----
`,
  publicKey: `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEALlFOKVcBYPkm4RHOyIgzCCLmW3WeJ5G2Oo4gFM+lSzI=
-----END PUBLIC KEY-----
`,
} as const;
