import type { CaseGroup } from '../case.ts';
import { abstractTypes } from './abstract.ts';
import { context } from './context.ts';
import { directives } from './directives.ts';
import { entities } from './entities.ts';
import { fed1 } from './fed1.ts';
import { inaccessible } from './inaccessible.ts';
import { interfaceObject } from './interface-object.ts';
import { mutations } from './mutations.ts';
import { operations } from './operations.ts';
import { override } from './override.ts';
import { provides } from './provides.ts';
import { requires } from './requires.ts';
import { shareable } from './shareable.ts';
import { typeMerging } from './types.ts';

/** The cases about how types are spread over subgraphs (entities-and-types.test.ts). */
export const TYPE_GROUPS: CaseGroup[] = [entities, abstractTypes, interfaceObject, shareable, inaccessible, typeMerging, fed1];

/** The cases about field-level directives and operations (directives-and-operations.test.ts). */
export const DIRECTIVE_GROUPS: CaseGroup[] = [requires, provides, override, context, mutations, directives, operations];

/** Every conformance case, by feature, in the README's order. */
export const ALL_GROUPS: CaseGroup[] = [
  entities,
  abstractTypes,
  requires,
  provides,
  override,
  context,
  interfaceObject,
  inaccessible,
  shareable,
  mutations,
  directives,
  typeMerging,
  fed1,
  operations,
];
