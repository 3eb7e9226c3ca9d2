/*
 * The four subgraphs of the GraphQL gateways benchmark (accounts, inventory, products, reviews), served from
 * memory by one process on one port, each under its own path as in the benchmark's supergraph
 * (http://127.0.0.1:<port>/accounts …). graphql-js and @apollo/subgraph on bare node:http, not Apollo Server:
 * the gateway is what is measured, so the subgraphs must cost next to nothing.
 *
 * They answer as the upstream Rust subgraphs do (gateway-fixtures/ATTRIBUTION.md), quirks included: every
 * review's author is user 1 (username provided as "urigo"), every user's reviews are reviews 1 and 2, and the
 * inventory knows no price or weight, so shippingEstimate is always null.
 *
 * The data never changes, so each distinct request (query + variables) is executed once and its bytes are
 * replayed after that. The `authorization` header the router signs for subgraphs is ignored.
 *
 * Env: BENCH_SUBGRAPHS_PORT (default 4700), BENCH_SUBGRAPH_MAX_AGE (seconds; > 0 sends
 * `cache-control: public, max-age=N` so a response cache may store answers; 0 sends none, like upstream).
 * GET /stats answers the number of requests each subgraph has served, so the bench can count fetches.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { INVENTORY, PRODUCTS, REVIEWS, USERS, type Review } from './gateway-fixtures/data.ts';

const PORT = Number(process.env.BENCH_SUBGRAPHS_PORT ?? 4700);
const MAX_AGE = Number(process.env.BENCH_SUBGRAPH_MAX_AGE ?? 0);

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides"])';

const byId = <T, K extends keyof T>(rows: readonly T[], key: K) => new Map(rows.map((row) => [row[key], row]));
const usersById = byId(USERS, 'id');
const inventoryByUpc = byId(INVENTORY, 'upc');
const productsByUpc = byId(PRODUCTS, 'upc');
const reviewsById = byId(REVIEWS, 'id');
/** Upstream answers reviews 1 and 2 for any user, whoever wrote them. */
const reviewsOfAnyUser = REVIEWS.slice(0, 2);

interface Ref {
  id?: string;
  upc?: string;
}

function accounts(): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Query { me: User  user(id: ID!): User  users: [User] }
      type User @key(fields: "id") { id: ID!  name: String  username: String  birthday: Int }`),
    resolvers: {
      Query: {
        me: () => USERS[0],
        user: (_: unknown, { id }: { id: string }) => usersById.get(id),
        users: () => USERS,
      },
      User: { __resolveReference: ({ id }: Ref) => usersById.get(id ?? '') },
    },
  });
}

function inventory(): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Product @key(fields: "upc") {
        upc: String!  weight: Int @external  price: Int @external  inStock: Boolean
        shippingEstimate: Int @requires(fields: "price weight")
      }`),
    resolvers: {
      Product: {
        // Upstream resolves the entity from its own rows by upc only, dropping the price and weight the
        // gateway sends along; its rows have none, hence shippingEstimate null in the expected response.
        __resolveReference: ({ upc }: Ref) => inventoryByUpc.get(upc ?? ''),
        shippingEstimate: ({ price, weight }: { price: number | null; weight: number | null }) => {
          if (price === null) return null;
          if (price > 1000) return 0;
          return weight === null ? null : Math.trunc(weight / 2);
        },
      },
    },
  });
}

function products(): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String!  name: String  price: Int  weight: Int }`),
    resolvers: {
      Query: { topProducts: (_: unknown, { first }: { first: number }) => PRODUCTS.slice(0, first) },
      Product: { __resolveReference: ({ upc }: Ref) => productsByUpc.get(upc ?? '') },
    },
  });
}

function reviews(): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Review @key(fields: "id") { id: ID!  body: String  product: Product  author: User @provides(fields: "username") }
      type User @key(fields: "id") { id: ID!  username: String @external  reviews: [Review] }
      type Product @key(fields: "upc") { upc: String!  reviews: [Review] }`),
    resolvers: {
      Review: {
        __resolveReference: ({ id }: Ref) => reviewsById.get(id ?? ''),
        author: () => ({ id: '1', username: 'urigo' }),
      },
      User: {
        __resolveReference: ({ id }: Ref) => ({ id, username: 'user' }),
        reviews: () => reviewsOfAnyUser,
      },
      Product: {
        __resolveReference: ({ upc }: Ref) => ({ upc }),
        reviews: ({ upc }: Ref): Review[] => REVIEWS.filter((review) => review.product.upc === upc),
      },
    },
  });
}

/** One subgraph's endpoint: validated documents and finished answers, both kept by their text. */
class Endpoint {
  served = 0;
  private readonly documents = new Map<string, DocumentNode | readonly string[]>();
  private readonly answers = new Map<string, Buffer>();

  constructor(private readonly schema: GraphQLSchema) {}

  async answer(body: string): Promise<Buffer> {
    this.served += 1;
    const { query = '', variables, operationName } = JSON.parse(body) as { query?: string; variables?: Record<string, unknown>; operationName?: string };
    const key = `${operationName ?? ''}\n${query}\n${JSON.stringify(variables ?? null)}`;
    const known = this.answers.get(key);
    if (known) return known;
    const document = this.documentOf(query);
    const result = Array.isArray(document)
      ? { errors: document.map((message) => ({ message })) }
      : await execute({ schema: this.schema, document: document as DocumentNode, variableValues: variables, operationName });
    const bytes = Buffer.from(JSON.stringify(result));
    // A misbehaving client could send endless distinct queries; the bench sends a handful.
    if (this.answers.size > 10_000) this.answers.clear();
    if (!result.errors) this.answers.set(key, bytes);
    return bytes;
  }

  private documentOf(query: string): DocumentNode | readonly string[] {
    let document = this.documents.get(query);
    if (!document) {
      try {
        const parsed = parse(query);
        const errors = validate(this.schema, parsed);
        document = errors.length ? errors.map((error) => error.message) : parsed;
      } catch (error) {
        document = [error instanceof Error ? error.message : String(error)];
      }
      if (this.documents.size > 10_000) this.documents.clear();
      this.documents.set(query, document);
    }
    return document;
  }
}

const endpoints = new Map<string, Endpoint>([
  ['/accounts', new Endpoint(accounts())],
  ['/inventory', new Endpoint(inventory())],
  ['/products', new Endpoint(products())],
  ['/reviews', new Endpoint(reviews())],
]);

const jsonHeaders = { 'content-type': 'application/json', ...(MAX_AGE > 0 ? { 'cache-control': `public, max-age=${MAX_AGE}` } : {}) };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'GET' && path === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(Object.fromEntries([...endpoints].map(([name, endpoint]) => [name.slice(1), endpoint.served]))));
    return;
  }
  const endpoint = endpoints.get(path);
  if (!endpoint || req.method !== 'POST') {
    res.writeHead(404).end();
    return;
  }
  try {
    const bytes = await endpoint.answer(await readBody(req));
    res.writeHead(200, { ...jsonHeaders, 'content-length': bytes.length });
    res.end(bytes);
  } catch (error) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message: error instanceof Error ? error.message : String(error) }] }));
  }
}

const server = createServer((req, res) => void handle(req, res));
// Gateways keep connections to subgraphs open between bursts; Node's 5 s default would close them mid-run.
server.keepAliveTimeout = 60_000;
server.listen(PORT, '127.0.0.1', () => process.stdout.write(`bench subgraphs listening on http://127.0.0.1:${PORT}\n`));

// The bench kills us on exit; should it die without doing so, we follow it rather than hold the port.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1_000).unref();
// Nothing to flush: answers are in memory and connections may be dropped.
process.on('SIGTERM', () => process.exit(0));
