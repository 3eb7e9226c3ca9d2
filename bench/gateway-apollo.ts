/*
 * Contender (a) of npm run bench:gateway: plain @apollo/gateway inside @apollo/server's standalone server, as
 * the GraphQL gateways benchmark runs it (one process, no fork), with nothing added: Apollo's defaults, the
 * subgraphs at the bench's local URLs.
 * Env: PORT, BENCH_SUPERGRAPH (file), SUBGRAPH_<NAME>_URL (else the supergraph's URL).
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.BENCH_SUPERGRAPH ?? '', 'utf8'),
  buildService: ({ name, url }) => new RemoteGraphQLDataSource({ url: process.env[`SUBGRAPH_${name.toUpperCase()}_URL`] ?? url }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT ?? 4000), host: '127.0.0.1' } });
process.stdout.write(`plain @apollo/gateway listening at ${url}\n`);
process.on('SIGTERM', () => {
  server.stop().finally(() => process.exit(0));
});
