export { isAdmin, isRole, requireAdmin, requireOwnerOrAdmin, requireViewer, ROLES, SCOPES_BY_ROLE, scopesFor, viewerKey, viewerWithRoles } from './viewer.ts';
export {
  AuthenticationError,
  CLIENT_ADDRESS_HEADER,
  createInternalIdentitySigner,
  createInternalIdentityVerifier,
  describeJoseError,
  INTERNAL_IDENTITY_TTL_SECONDS,
  INTERNAL_IDENTITY_TYPE,
  parseEd25519Key,
  ROUTER_IDENTITY_ISSUER,
  routerSigningKeyFromEnv,
  routerTrustFromEnv,
} from './internal-identity.ts';
export type { InternalIdentity, InternalIdentitySigner, InternalIdentityVerifier, TrustedSigner } from './internal-identity.ts';
export { DEVELOPMENT_JWT_SECRET, DEVELOPMENT_ROUTER_IDENTITY_KEYS } from './development-keys.ts';
export { ACCESS_TOKEN_DEFAULTS, ACCESS_TOKEN_TYPE } from './access-token.ts';
export type { Role, Viewer } from './viewer.ts';
export { fileSigningFromEnv, signUrl, verifySignedUrl } from './signed-urls.ts';
export type { FileSigningConfig, SignedUrlCheck, SignedUrlParts } from './signed-urls.ts';
