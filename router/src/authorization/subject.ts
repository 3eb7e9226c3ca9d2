import { scopesFor, type Viewer } from '@storefront/identity';
import type { AccessRequirement, Alternatives } from './rules.ts';

/*
 * Who is asking, as the access rules see it: signed in or not, the scopes held, and the value of each named
 * policy for this request. Everything the router decides depends only on these three, so a profile key made of
 * them lets one analysis of a query serve every request with the same profile.
 */

/** A named policy, decided by the router per request from the identity alone (no data is read). */
export type Policy = (viewer: Viewer | null) => boolean;

/**
 * The policies the store's supergraph names. `order_owner` ("may read an order it owns") admits any signed-in
 * customer and admins; whether a given order is the viewer's is a row-level fact only the orders subgraph
 * knows, so that check stays there (requireOwnerOrAdmin). The router's part is to keep anonymous callers and
 * identities without a customer or admin role from ever reaching the orders subgraph.
 */
export const STORE_POLICIES: Readonly<Record<string, Policy>> = {
  order_owner: (viewer) => viewer !== null && (viewer.roles.includes('CUSTOMER') || viewer.roles.includes('ADMIN')),
};

/**
 * The scopes a viewer holds: those its verified token carries. An identity without a scope list (built from
 * roles alone) gets the scopes its roles grant, by the same table accounts issues tokens with
 * (SCOPES_BY_ROLE: CUSTOMER orders:read orders:write reviews:write; ADMIN those and `admin`).
 */
export function scopesOf(viewer: Viewer | null): ReadonlySet<string> {
  if (!viewer) return new Set();
  const carried: unknown = viewer.scopes;
  if (Array.isArray(carried)) return new Set(carried.filter((scope): scope is string => typeof scope === 'string'));
  return new Set(scopesFor(viewer.roles));
}

export interface AccessSubject {
  authenticated: boolean;
  scopes: ReadonlySet<string>;
  /** Every policy the supergraph names, evaluated; a name with no registered function is false. */
  policies: ReadonlyMap<string, boolean>;
  /** A stable key of the three above, for caching decisions. */
  profileKey: string;
}

export function accessSubject(viewer: Viewer | null, policyNames: readonly string[], registry: Readonly<Record<string, Policy>>): AccessSubject {
  const scopes = scopesOf(viewer);
  const policies = new Map(policyNames.map((name) => [name, Object.hasOwn(registry, name) && registry[name]?.(viewer) === true] as const));
  const profileKey = [
    viewer ? 'signed-in' : 'anonymous',
    [...scopes].sort().join(' '),
    [...policies].map(([name, value]) => `${name}=${value ? 1 : 0}`).join(' '),
  ].join('|');
  return { authenticated: viewer !== null, scopes, policies, profileKey };
}

const anyHolds = (alternatives: Alternatives, holds: (name: string) => boolean) => alternatives.some((all) => all.every(holds));

/** Why `subject` may not see something with `requirement`, or undefined when it may. */
export function denialReason(requirement: AccessRequirement | undefined, subject: AccessSubject): string | undefined {
  if (!requirement) return undefined;
  if (requirement.authenticated && !subject.authenticated) return 'requires a signed-in user';
  for (const scopes of requirement.scopes) {
    if (!anyHolds(scopes, (scope) => subject.scopes.has(scope))) return `requires scopes ${describe(scopes)}`;
  }
  for (const policies of requirement.policies) {
    if (!anyHolds(policies, (policy) => subject.policies.get(policy) === true)) return `requires policy ${describe(policies)}`;
  }
  return undefined;
}

/** `[["a", "b"], ["c"]]` as `(a and b) or c`. */
function describe(alternatives: Alternatives): string {
  if (alternatives.length === 0) return '(none can satisfy an empty list)';
  return alternatives.map((all) => (all.length > 1 ? `(${all.join(' and ')})` : (all[0] ?? ''))).join(' or ');
}
