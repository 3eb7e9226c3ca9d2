import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { FragmentType } from '../generated/gql/fragment-masking.ts';
import type { Incremental } from '../generated/gql/graphql.ts';

/**
 * Whether a fragment spread with @defer has arrived: `field`, which only that fragment selects, is present on
 * the parent. (The client preset's isFragmentReady needs document metadata its documentNode mode does not
 * emit.) Narrows the parent to a complete reference to the fragment.
 */
export function hasArrived<TFrag>(
  _fragment: TypedDocumentNode<TFrag>,
  field: keyof TFrag & string,
  data: FragmentType<TypedDocumentNode<Incremental<TFrag>>> | object,
): data is FragmentType<TypedDocumentNode<TFrag>> {
  return field in data;
}
