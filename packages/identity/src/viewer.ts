import { GraphQLError } from 'graphql';
import { ErrorCode } from '@storefront/api-conventions';

export type Role = 'CUSTOMER' | 'ADMIN';

/**
 * Who is asking: the signed-in user the router vouches for (from a verified access token, forwarded to
 * subgraphs in a signed internal identity token), or null for an anonymous request.
 */
export interface Viewer {
  userId: string;
  roles: readonly Role[];
  /** OAuth-style scopes granted by the access token (e.g. `orders:read`); see SCOPES_BY_ROLE. */
  scopes: readonly string[];
}

export const ROLES: readonly Role[] = ['CUSTOMER', 'ADMIN'];

/**
 * The scopes an access token carries for each role. Accounts derives a token's `scope` claim from the user's
 * roles with this table; authorization checks scopes, so a token can later be issued with fewer of them.
 */
export const SCOPES_BY_ROLE: Readonly<Record<Role, readonly string[]>> = {
  CUSTOMER: ['orders:read', 'orders:write', 'reviews:write'],
  ADMIN: ['orders:read', 'orders:write', 'reviews:write', 'admin'],
};

/** The union of the scopes of `roles`, in a stable order. */
export function scopesFor(roles: readonly Role[]): string[] {
  return [...new Set(roles.flatMap((role) => SCOPES_BY_ROLE[role]))].sort();
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** A viewer with the scopes its roles grant: what a freshly issued access token carries (tests use it too). */
/** One string per distinct viewer (user, roles, scopes), for keys of what may be shared between its requests only. */
export function viewerKey(viewer: Viewer | null | undefined): string {
  return viewer ? `${viewer.userId}\0${viewer.roles.join(',')}\0${viewer.scopes.join(' ')}` : '-';
}

export function viewerWithRoles(userId: string, roles: readonly Role[]): Viewer {
  return { userId, roles, scopes: scopesFor(roles) };
}

export function isAdmin(viewer: Viewer | null): boolean {
  return viewer?.roles.includes('ADMIN') ?? false;
}

/** The viewer, or an UNAUTHENTICATED error for anonymous requests. */
export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw new GraphQLError('You must be signed in', { extensions: { code: ErrorCode.UNAUTHENTICATED } });
  return viewer;
}

/** Admins may act on anything; everyone else only on what they own. */
export function requireOwnerOrAdmin(viewer: Viewer | null, ownerId: string): Viewer {
  const signedIn = requireViewer(viewer);
  if (signedIn.userId !== ownerId && !isAdmin(signedIn)) {
    throw new GraphQLError('You may not access this', { extensions: { code: ErrorCode.FORBIDDEN } });
  }
  return signedIn;
}

export function requireAdmin(viewer: Viewer | null): Viewer {
  const signedIn = requireViewer(viewer);
  if (!isAdmin(signedIn)) throw new GraphQLError('Admins only', { extensions: { code: ErrorCode.FORBIDDEN } });
  return signedIn;
}
