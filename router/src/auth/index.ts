export { createAccessTokenVerifier } from './access-tokens.ts';
export type { AccessTokenAuthenticator, AccessTokenKeys, AccessTokenVerification } from './access-tokens.ts';
export { loadRouterAuthConfig } from './config.ts';
export type { RouterAuthConfig } from './config.ts';
export { createSubgraphIdentity } from './subgraph-identity.ts';
export type { SubgraphIdentity } from './subgraph-identity.ts';
