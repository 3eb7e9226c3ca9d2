export { waitFor } from './wait-for.ts';
export {
  asViewer,
  createTestDatabase,
  postGraphQL,
  seedTestDatabase,
  signTestIdentity,
  silentLogger,
  startTestSubgraph,
  TEST_POSTGRES_URL,
  TEST_ROUTER_IDENTITY_KEYS,
  TEST_TRUSTED_SIGNERS,
  testSubgraphConfig,
} from './subgraphs.ts';
export type { GraphQLResponse, TestDatabase, TestSubgraph, TestViewer } from './subgraphs.ts';
