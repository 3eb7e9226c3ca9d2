import { createAccessTokenIssuer, loadAccessTokenSettings } from '../subgraphs/accounts/src/index.ts';
import type { Role } from '@storefront/identity';

/**
 * The bench's one source of access tokens: accounts' own issuer with the settings the accounts process reads
 * from this same environment (the development key unless JWT_* say otherwise), so the token is exactly what
 * `logIn` would hand that user. Seeded users have no known password; if they get one, replace this body with
 * a `logIn` mutation and nothing else changes.
 */
export async function accessTokenFor(user: { id: string; roles: readonly Role[] }, env: NodeJS.ProcessEnv): Promise<string> {
  const issuer = createAccessTokenIssuer(await loadAccessTokenSettings(env));
  return (await issuer.issue(user)).token;
}
