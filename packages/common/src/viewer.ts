import type http from 'node:http';
import { GraphQLError } from 'graphql';
import { ErrorCode } from './errors.ts';
import { isUuid } from './ids.ts';

export type Role = 'CUSTOMER' | 'ADMIN';

/** Who is asking: the signed-in user the router vouches for, or null for an anonymous request. */
export interface Viewer {
  userId: string;
  roles: readonly Role[];
}

/**
 * The headers the router uses to pass the caller's identity to subgraphs. Until the router signs them
 * (authentication issue), subgraphs trust whoever can reach them, so only the router must be reachable.
 */
export const VIEWER_HEADERS = { userId: 'x-viewer-id', roles: 'x-viewer-roles' } as const;

const ROLES = new Set<Role>(['CUSTOMER', 'ADMIN']);

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function viewerFromHeaders(headers: http.IncomingHttpHeaders): Viewer | null {
  const userId = single(headers[VIEWER_HEADERS.userId]);
  if (!userId || !isUuid(userId)) return null;
  const roles = (single(headers[VIEWER_HEADERS.roles]) ?? 'CUSTOMER')
    .split(',')
    .map((role) => role.trim().toUpperCase())
    .filter((role): role is Role => ROLES.has(role as Role));
  return { userId, roles };
}

export function viewerHeaders(viewer: Viewer): Record<string, string> {
  return { [VIEWER_HEADERS.userId]: viewer.userId, [VIEWER_HEADERS.roles]: viewer.roles.join(',') };
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
