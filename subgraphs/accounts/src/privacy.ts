import { ErrorCode } from '@storefront/api-conventions';
import { type RequestContext } from '@storefront/http-host';
import { isAdmin } from '@storefront/identity';
import { defaultFieldResolver, GraphQLError, Kind, type DocumentNode, type GraphQLFieldResolver } from 'graphql';

/*
 * Who may read what accounts knows about people: one table, enforced in one place (withFieldPrivacy wraps the
 * resolver of every field the table does not make public). docs/privacy.md lists the same table; a test keeps
 * the two, and the schema, in step. A field the caller may not read resolves to null with a FORBIDDEN error at
 * its path, and the rest of the query still answers.
 */

/**
 * public: anyone, signed in or not. owner: the person the data is about, and admins. admin: admins only.
 * "The person" is the signed-in viewer, or the user a session mutation of this request just signed in.
 */
export type Audience = 'public' | 'owner' | 'admin';

interface TypePrivacy {
  /** The field of the resolved row that names the user the data is about. */
  ownerKey: string;
  /** Every field of the type, as the schema has it: a field without a rule keeps accounts from starting. */
  fields: Readonly<Record<string, Audience>>;
}

export const FIELD_PRIVACY = {
  User: {
    ownerKey: 'id',
    fields: {
      // Shown beside reviews and orders; the id is what other subgraphs reference the user by.
      id: 'public',
      name: 'public',
      email: 'owner',
      roles: 'owner',
      createdAt: 'owner',
      addresses: 'owner',
      defaultAddress: 'owner',
      // What someone saved for later says much about them: it is theirs, like the address book.
      wishlist: 'owner',
    },
  },
  // Reached only through the owner's fields above; guarded itself too, so a new path to it cannot leak it.
  Address: {
    ownerKey: 'userId',
    fields: { id: 'owner', label: 'owner', line1: 'owner', line2: 'owner', city: 'owner', postalCode: 'owner', country: 'owner', isDefault: 'owner' },
  },
} as const satisfies Readonly<Record<string, TypePrivacy>>;

/** What the check needs of a request. */
export interface PrivacyContext extends RequestContext {
  /** The user a session mutation of this request has just authenticated (the request itself is anonymous). */
  sessionUserId?: string;
}

function mayRead(audience: Audience, ownerId: unknown, context: PrivacyContext): boolean {
  switch (audience) {
    case 'public':
      return true;
    case 'owner':
      if (typeof ownerId === 'string' && (context.viewer?.userId === ownerId || context.sessionUserId === ownerId)) return true;
      return isAdmin(context.viewer);
    case 'admin':
      return isAdmin(context.viewer);
  }
}

type FieldResolver<Context> = GraphQLFieldResolver<unknown, Context>;
type FieldConfig<Context> = FieldResolver<Context> | { resolve?: FieldResolver<Context> };

/** A resolver map entry, whatever form it has (a function, or an object with `resolve`), as a function. */
function resolverOf<Context>(entry: FieldConfig<Context> | undefined): FieldResolver<Context> {
  if (typeof entry === 'function') return entry;
  return entry?.resolve ?? defaultFieldResolver;
}

/**
 * The resolver map with every non-public field of FIELD_PRIVACY checked before it resolves; fields without a
 * resolver of their own (email, createdAt…) get the default one behind the check.
 */
export function withFieldPrivacy<Map extends { readonly [typeName: string]: object | undefined }>(resolvers: Map): Map {
  const guarded: Record<string, object | undefined> = { ...resolvers };
  for (const [typeName, { ownerKey, fields }] of Object.entries(FIELD_PRIVACY) as Array<[string, TypePrivacy]>) {
    const own = (resolvers[typeName] ?? {}) as Record<string, FieldConfig<PrivacyContext>>;
    const checked: Record<string, FieldConfig<PrivacyContext>> = { ...own };
    for (const [field, audience] of Object.entries(fields)) {
      if (audience === 'public') continue;
      const resolve = resolverOf(own[field]);
      checked[field] = (parent, args, context, info) => {
        const ownerId = (parent as Record<string, unknown> | null)?.[ownerKey];
        if (!mayRead(audience, ownerId, context)) {
          throw new GraphQLError(`You may not read ${typeName}.${field}`, { extensions: { code: ErrorCode.FORBIDDEN } });
        }
        return resolve(parent, args, context, info);
      };
    }
    guarded[typeName] = checked;
  }
  // The same types and fields as `resolvers`, each guarded field's resolver wrapped with the same signature.
  return guarded as Map;
}

/**
 * Throws unless FIELD_PRIVACY has a rule for exactly the fields the schema gives each of its types: a field
 * added to the schema must be classified before accounts serves it, and a rule may not outlive its field.
 */
export function assertPrivacyCoversSchema(typeDefs: DocumentNode): void {
  const problems: string[] = [];
  for (const [typeName, { fields }] of Object.entries(FIELD_PRIVACY) as Array<[string, TypePrivacy]>) {
    const schemaFields = typeDefs.definitions.flatMap((definition) =>
      (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) && definition.name.value === typeName
        ? (definition.fields ?? []).map((field) => field.name.value)
        : [],
    );
    if (schemaFields.length === 0) problems.push(`${typeName} is not in the schema`);
    for (const field of schemaFields) if (!(field in fields)) problems.push(`${typeName}.${field} has no privacy rule`);
    for (const field of Object.keys(fields)) if (!schemaFields.includes(field)) problems.push(`${typeName}.${field} has a rule but no field`);
  }
  if (problems.length) throw new Error(`accounts' privacy table (src/privacy.ts) does not match its schema:\n  ${problems.join('\n  ')}`);
}
