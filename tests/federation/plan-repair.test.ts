import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { prettyFormatQueryPlan, QueryPlanner, type FetchNode, type QueryPlan } from '@apollo/query-planner';
import { OperationTypeNode, parse } from 'graphql';
import { repairExternalSelections, subgraphFieldsOf } from '../../router/src/execution/external-selections.ts';
import { ALL_GROUPS } from './cases/index.ts';
import { composeCase } from './harness.ts';

/*
 * The router repairs plans in which Apollo's planner asks a subgraph for a field it only declares @external
 * (router/src/execution/external-selections.ts). The conformance cases check the answers; this checks that the
 * repair touches only the plans that need it, and what it makes of a faulty entity fetch.
 */

const REPAIRED = new Set(['requires-circular: names → titles → names → titles', 'requires-circular: every field along the way']);

function planned(sdl: string, query: string): QueryPlan {
  const supergraph = Supergraph.build(sdl);
  return new QueryPlanner(supergraph, { incrementalDelivery: { enableDefer: true } }).buildQueryPlan(operationFromDocument(supergraph.apiSchema(), parse(query)));
}

it('repairs exactly the conformance plans that ask a subgraph for its @external fields', () => {
  const repaired: string[] = [];
  for (const testCase of ALL_GROUPS.flatMap((group) => group.cases)) {
    let sdl: string;
    try {
      sdl = composeCase(testCase.subgraphs, (name) => `http://${name}.test`);
    } catch {
      continue; // cases about composition failures
    }
    const facts = subgraphFieldsOf(sdl);
    for (const operation of testCase.operations) {
      let plan: QueryPlan;
      try {
        plan = planned(sdl, operation.query);
      } catch {
        continue; // refused before planning (validation cases) or by the planner itself
      }
      if (repairExternalSelections(plan, facts) !== plan) repaired.push(`${testCase.name}: ${operation.name}`);
    }
  }
  expect(new Set(repaired)).toEqual(REPAIRED);
});

const CHAIN = composeCase(
  ALL_GROUPS.flatMap((group) => group.cases).find((testCase) => testCase.name === 'requires-circular-in-entity-fetch')!.subgraphs,
  (name) => `http://${name}.test`,
);

it('repairs a faulty entity fetch in place: its external field from the owner, then what required it', () => {
  const fetch: FetchNode = {
    kind: 'Fetch',
    serviceName: 'names',
    requires: [{ kind: 'InlineFragment', typeCondition: 'Person', selections: [{ kind: 'Field', name: '__typename' }, { kind: 'Field', name: 'id' }] }],
    variableUsages: [],
    operation: 'query($representations:[_Any!]!){_entities(representations:$representations){...on Person{firstName title full: fullName}}}',
    operationName: undefined,
    operationKind: OperationTypeNode.QUERY,
  };
  const plan: QueryPlan = { kind: 'QueryPlan', node: { kind: 'Flatten', path: ['teams', '@', 'members', '@'], node: fetch } };
  const printed = prettyFormatQueryPlan(repairExternalSelections(plan, subgraphFieldsOf(CHAIN)));
  const compact = printed.replace(/\s+/g, ' ');
  expect(compact).toContain('Flatten(path: "teams.@.members.@") { Sequence { Fetch(service: "names") { { ... on Person { __typename id } } => { ... on Person { firstName __typename id } } }');
  expect(compact).toContain('Fetch(service: "titles") { { ... on Person { __typename id } } => { ... on Person { title } } }');
  expect(compact).toContain('Fetch(service: "names") { { ... on Person { __typename id title } } => { ... on Person { full: fullName } } }');
  expect(compact.indexOf('service: "titles"')).toBeLessThan(compact.lastIndexOf('service: "names"'));
});

it('leaves a fetch alone when the field is @external but provided on the way there', () => {
  const reviews = ALL_GROUPS.flatMap((group) => group.cases).find((testCase) => testCase.subgraphs.some((subgraph) => subgraph.typeDefs.includes('@provides')))!;
  const sdl = composeCase(reviews.subgraphs, (name) => `http://${name}.test`);
  for (const operation of reviews.operations) {
    const plan = planned(sdl, operation.query);
    expect(repairExternalSelections(plan, subgraphFieldsOf(sdl))).toBe(plan);
  }
});
