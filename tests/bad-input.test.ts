import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '@storefront/telemetry';
import { startRouter, type RunningRouter } from '@storefront/router';
import { compose } from '@storefront/schema';
import { parse } from 'graphql';
import { testRouterConfig } from '../router/src/test-config.ts';

/*
 * Every client mistake gets a 4xx (or a 200 with errors where GraphQL over HTTP says so) with a stable
 * extensions.code: never a 500, never a dropped connection, and the router serves the next request as usual.
 * The real router over real HTTP, in front of two small subgraphs that know nothing of the store.
 *
 * Tests marked `engine:` are decided by the router's executor (the gateway's, or its replacement in
 * router/src/execution), not by the HTTP host or Apollo Server in front of it. Unknown operation names and
 * operation types the schema lacks are refused in front of it (commonApolloOptions), because the gateway's
 * executor answered them with 500s; the executor should still not fail on them if it ever sees one.
 */

// BAD_INPUT_LOG_LEVEL=warn shows the router's own account of a failure (e.g. why a subgraph call failed).
const silent = createLogger({ service: 'bad-input-test', level: process.env.BAD_INPUT_LOG_LEVEL ?? 'silent' });
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
/** The router's body limit here: big enough for a 200,000-element variable, smaller than the 5 MB document. */
const MAX_BODY_BYTES = 2_000_000;
/**
 * How long a 200,000-element list may take end to end: linear work takes a few seconds even on a loaded 2-core
 * machine, anything quadratic in the length takes hours. (Speed itself is the benchmarks' business.)
 */
const LONG_LIST_BUDGET_MS = 60_000;

interface Subgraph {
  name: string;
  sdl: string;
  url: string;
  stop(): Promise<void>;
}

async function subgraph(name: string, sdl: string, resolvers: Record<string, unknown>): Promise<Subgraph> {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { name, sdl, url, stop: () => server.stop() };
}

interface Tree {
  child?: Tree | null;
  children?: Tree[] | null;
}
const treeDepth = (tree: Tree | null | undefined): number =>
  tree ? 1 + Math.max(treeDepth(tree.child), ...(tree.children ?? []).map(treeDepth)) : 0;

const BOOKS = [
  { id: 'b1', title: 'Dune' },
  { id: 'b2', title: 'Solaris' },
];

let shelf: Subgraph;
let reviews: Subgraph;
let desk: Subgraph;
let workdir: string;
/** shelf and reviews: a Query root only, no Mutation and no Subscription. */
let router: RunningRouter;
/** shelf and desk: with a Mutation root, for what only mutations can get wrong. */
let writable: RunningRouter;

async function routerOver(file: string, ...subgraphs: Subgraph[]): Promise<RunningRouter> {
  const result = compose(subgraphs.map(({ name, sdl, url }) => ({ name, sdl, url })));
  if (!result.ok) throw new Error(result.errors.join('\n'));
  await writeFile(file, result.supergraphSdl);
  // The subgraphs here are plain Apollo servers that take seconds over a 200,000-element list on a loaded
  // machine; these tests are about the router, so its deadline is the tests' own budget (LONG_LIST_BUDGET_MS).
  const started = await startRouter(testRouterConfig(file, { maxBodyBytes: MAX_BODY_BYTES, subgraphTimeoutMs: LONG_LIST_BUDGET_MS }), silent);
  while (!started.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
  return started;
}

beforeAll(async () => {
  shelf = await subgraph(
    'shelf',
    `${LINK}
     type Query {
       hello: String!
       count(ids: [ID!]!): Int!
       book(id: ID!): Book
       books(limit: Int!): [Book!]!
       depth(tree: Tree): Int!
     }
     input Tree { child: Tree children: [Tree!] }
     type Book @key(fields: "id") { id: ID! title: String! }`,
    {
      Query: {
        hello: () => 'world',
        count: (_: unknown, { ids }: { ids: string[] }) => ids.length,
        book: (_: unknown, { id }: { id: string }) => BOOKS.find((book) => book.id === id) ?? null,
        books: (_: unknown, { limit }: { limit: number }) => BOOKS.slice(0, limit),
        depth: (_: unknown, { tree }: { tree?: Tree | null }) => treeDepth(tree),
      },
      Book: { __resolveReference: ({ id }: { id: string }) => BOOKS.find((book) => book.id === id) },
    },
  );
  reviews = await subgraph(
    'reviews',
    `${LINK}
     type Book @key(fields: "id") { id: ID! stars: Int! }`,
    { Book: { __resolveReference: ({ id }: { id: string }) => ({ id }), stars: () => 4 } },
  );
  desk = await subgraph(
    'desk',
    `${LINK}
     type Query { motd: String! }
     type Mutation { note(text: String!): String! }`,
    { Query: { motd: () => 'hi' }, Mutation: { note: (_: unknown, { text }: { text: string }) => text } },
  );
  workdir = await mkdtemp(path.join(tmpdir(), 'bad-input-'));
  router = await routerOver(path.join(workdir, 'read-only.graphql'), shelf, reviews);
  writable = await routerOver(path.join(workdir, 'writable.graphql'), shelf, desk);
});

afterAll(async () => {
  await router?.close();
  await writable?.close();
  await Promise.all([shelf?.stop(), reviews?.stop(), desk?.stop()]);
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } | undefined;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    body = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), headers: response.headers, text, body };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A POST of `body` as JSON (anything, not only well-formed requests). */
async function post(body: unknown, options: { to?: RunningRouter; headers?: Record<string, string> } = {}): Promise<Answer> {
  const target = options.to ?? router;
  return answerOf(await fetch(target.url, { method: 'POST', headers: { ...JSON_HEADERS, ...options.headers }, body: JSON.stringify(body) }));
}

/** A POST of a raw body with the given headers. */
async function postRaw(body: string, headers: Record<string, string>): Promise<Answer> {
  return answerOf(await fetch(router.url, { method: 'POST', headers, body }));
}

/** A GET with these search parameters, preflighted as a browser would (CSRF prevention wants a header). */
async function get(params: Record<string, string>, to: RunningRouter = router): Promise<Answer> {
  const url = `${to.url}?${new URLSearchParams(params).toString()}`;
  return answerOf(await fetch(url, { headers: { 'apollo-require-preflight': 'true' } }));
}

/** Status and code together, so a failure shows both. The body is GraphQL-shaped JSON either way. */
function expectRefusal(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.errors?.[0]?.extensions?.code }).toEqual({ status, code });
  expect(answer.contentType).toMatch(/json/);
  expect(answer.body?.errors?.[0]?.message).toEqual(expect.any(String));
  // A refused request never ran: no data, not even null.
  expect(answer.body?.data).toBeUndefined();
}

function expectData(answer: Answer, data: Record<string, unknown>): void {
  expect({ status: answer.status, errors: answer.body?.errors, data: answer.body?.data }).toEqual({ status: 200, errors: undefined, data });
}

/** `{ child: { child: … } }` `levels` deep, built without recursion. */
function nestedObject(levels: number): Tree {
  let tree: Tree = {};
  for (let i = 1; i < levels; i += 1) tree = { child: tree };
  return tree;
}

/** `[[[…["x"]…]]]` `levels` deep. */
function nestedArray(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i += 1) value = [value];
  return value;
}

/*
 * The same as JSON text, for depths JSON.stringify cannot reach (it recurses, and runs out of stack first).
 * `levels` counts the value's own arrays or objects.
 */
const deepObjectJson = (levels: number) => `${'{"child":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
const deepArrayJson = (levels: number) => `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;

/** A POST whose JSON is `{"query": …, "<field>": <json>}`, with `json` spliced in as text. */
const postWith = (query: string, field: 'variables' | 'extensions', json: string) =>
  postRaw(`{"query":${JSON.stringify(query)},"${field}":${json}}`, JSON_HEADERS);

// Whatever a test sent, the router must still answer an ordinary query afterwards.
afterEach(async () => {
  expectData(await post({ query: '{ hello }' }), { hello: 'world' });
});

describe('operationName', () => {
  const TWO = 'query First { hello } query Second { books(limit: 1) { title } }';

  it('picks the named operation of several, and null counts as absent', async () => {
    expectData(await post({ query: TWO, operationName: 'Second' }), { books: [{ title: 'Dune' }] });
    expectData(await post({ query: 'query Only { hello }', operationName: null }), { hello: 'world' });
  });

  it('refuses an unknown operation name with 400 OPERATION_RESOLUTION_FAILURE', async () => {
    // Refused by refuseUnresolvedOperations before the executor (the gateway's answered 500 INVALID_GRAPHQL).
    expectRefusal(await post({ query: TWO, operationName: 'Third' }), 400, 'OPERATION_RESOLUTION_FAILURE');
  });

  it('refuses a document of several operations without operationName with 400 OPERATION_RESOLUTION_FAILURE', async () => {
    // As above (the gateway's executor answered 500 INVALID_GRAPHQL).
    expectRefusal(await post({ query: TWO }), 400, 'OPERATION_RESOLUTION_FAILURE');
  });

  it('refuses an empty operationName: no operation is named ""', async () => {
    // As above (the gateway's executor answered 500 INTERNAL_SERVER_ERROR).
    expectRefusal(await post({ query: 'query Only { hello }', operationName: '' }), 400, 'OPERATION_RESOLUTION_FAILURE');
  });

  it.each([
    ['a number', 42],
    ['an object', { name: 'First' }],
    ['an array', ['First']],
    ['a boolean', true],
  ])('refuses operationName that is %s with 400 BAD_REQUEST', async (_kind, operationName) => {
    expectRefusal(await post({ query: TWO, operationName }), 400, 'BAD_REQUEST');
  });

  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'])(
    'treats %s as just another operation name: unknown when absent, run when present',
    async (name) => {
      // engine: running the operation of that name; Object.prototype members must not be looked up on plain objects.
      expectRefusal(await post({ query: TWO, operationName: name }), 400, 'OPERATION_RESOLUTION_FAILURE');
      expectData(await post({ query: `query ${name} { hello } query Other { books(limit: 1) { id } }`, operationName: name }), { hello: 'world' });
    },
  );
});

it('answers a field aliased `__proto__` under that key, like any other alias', async () => {
  const response = await post({ query: '{ __proto__: hello toString: hello }' });
  expect(response.status).toBe(200);
  expect(JSON.parse(response.text)).toEqual({ data: JSON.parse('{"__proto__":"world","toString":"world"}') });
});

describe('operation types the schema lacks', () => {
  // Refused by the KnownOperationTypes validation rule (the gateway's executor answered 500 INVALID_GRAPHQL).
  it('refuses a subscription with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    expectRefusal(await post({ query: 'subscription { hello }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a mutation when there is no Mutation root with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    expectRefusal(await post({ query: 'mutation { hello }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: 'query Q { hello } mutation M { hello }', operationName: 'M' }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('runs a mutation where there is one', async () => {
    expectData(await post({ query: 'mutation { note(text: "kept") }' }, { to: writable }), { note: 'kept' });
  });
});

describe('variables and extensions', () => {
  const DEPTH = 'query ($tree: Tree) { depth(tree: $tree) }';
  const COUNT = 'query ($ids: [ID!]!) { count(ids: $ids) }';

  it('refuses variables nested 10,000 deep (objects) with 400 BAD_REQUEST', async () => {
    expectRefusal(await postWith(DEPTH, 'variables', `{"tree":${deepObjectJson(10_000)}}`), 400, 'BAD_REQUEST');
  });

  it('refuses variables nested 10,000 deep (arrays) with 400 BAD_REQUEST', async () => {
    expectRefusal(await postWith(COUNT, 'variables', `{"ids":${deepArrayJson(10_000)}}`), 400, 'BAD_REQUEST');
  });

  it('refuses variables nested 10,000 deep even when the operation does not declare them', async () => {
    expectRefusal(await postWith('{ hello }', 'variables', `{"unused":${deepObjectJson(10_000)}}`), 400, 'BAD_REQUEST');
    expectRefusal(await postWith('{ hello }', 'variables', `{"unused":${deepArrayJson(10_000)}}`), 400, 'BAD_REQUEST');
  });

  it('refuses extensions nested 10,000 deep with 400 BAD_REQUEST', async () => {
    expectRefusal(await postWith('{ hello }', 'extensions', `{"deep":${deepObjectJson(10_000)}}`), 400, 'BAD_REQUEST');
    expectRefusal(await postWith('{ hello }', 'extensions', `{"deep":${deepArrayJson(10_000)}}`), 400, 'BAD_REQUEST');
    // Deep where Apollo Server itself looks: the persisted query.
    expectRefusal(await postWith('{ hello }', 'extensions', `{"persistedQuery":${deepObjectJson(10_000)}}`), 400, 'BAD_REQUEST');
  });

  it('refuses a batch of 10,000-deep requests with 400 BAD_REQUEST', async () => {
    expectRefusal(await postRaw(`[{"query":"{ hello }","variables":{"deep":${deepArrayJson(10_000)}}}]`, JSON_HEADERS), 400, 'BAD_REQUEST');
  });

  it('takes requests nested 64 levels deep and refuses 65 (the request object is level 1)', async () => {
    // engine: coercing the 62-level tree (levels 3 to 64) and forwarding it to the subgraph.
    expectData(await post({ query: DEPTH, variables: { tree: nestedObject(62) } }), { depth: 62 });
    expectRefusal(await post({ query: DEPTH, variables: { tree: nestedObject(63) } }), 400, 'BAD_REQUEST');
  });

  it('coerces a recursive input as deep as the host allows', async () => {
    // engine: variable coercion and the subgraph fetch carry the whole tree.
    expectData(await post({ query: DEPTH, variables: { tree: nestedObject(40) } }), { depth: 40 });
    const wide: Tree = { children: Array.from({ length: 30 }, () => nestedObject(30)) };
    expectData(await post({ query: DEPTH, variables: { tree: wide } }), { depth: 31 });
  });

  it('refuses nested arrays where a list of IDs is expected with 400 BAD_USER_INPUT', async () => {
    // engine: variable coercion.
    expectRefusal(await post({ query: COUNT, variables: { ids: nestedArray(40) } }), 400, 'BAD_USER_INPUT');
  });

  it.each([
    ['a string', '{"ids":["b1"]}'],
    ['an array', [{ ids: ['b1'] }]],
    ['a number', 7],
    ['a boolean', false],
  ])('refuses variables that are %s with 400 BAD_REQUEST', async (_kind, variables) => {
    expectRefusal(await post({ query: COUNT, variables }), 400, 'BAD_REQUEST');
  });

  it.each([
    ['a string', '{}'],
    ['an array', []],
    ['a number', 1],
  ])('refuses extensions that are %s with 400 BAD_REQUEST', async (_kind, extensions) => {
    expectRefusal(await post({ query: '{ hello }', extensions }), 400, 'BAD_REQUEST');
  });

  it('answers a 200,000-element list variable promptly', async () => {
    // engine: coercing and forwarding a long list must stay linear.
    const ids = Array.from({ length: 200_000 }, (_, i) => String(i % 10));
    const started = Date.now();
    expectData(await post({ query: COUNT, variables: { ids } }), { count: 200_000 });
    expect(Date.now() - started).toBeLessThan(LONG_LIST_BUDGET_MS);
  }, LONG_LIST_BUDGET_MS * 2);

  it('refuses a 200,000-element list with a wrong element with 400 BAD_USER_INPUT, promptly', async () => {
    // engine: variable coercion.
    const ids: unknown[] = Array.from({ length: 200_000 }, (_, i) => String(i));
    ids[199_999] = { id: 'nope' };
    const started = Date.now();
    expectRefusal(await post({ query: COUNT, variables: { ids } }), 400, 'BAD_USER_INPUT');
    expect(Date.now() - started).toBeLessThan(LONG_LIST_BUDGET_MS);
  }, LONG_LIST_BUDGET_MS * 2);
});

/** A real node:http client writing `body` (in 64 KB pieces, as a slow upload would), reading the whole answer. */
function rawPost(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    let offset = 0;
    const writeMore = () => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 65_536);
        offset += piece.length;
        if (!request.write(piece)) {
          request.once('drain', writeMore);
          return;
        }
      }
      request.end();
    };
    writeMore();
  });
}

describe('text with NUL', () => {
  it('refuses a query with NUL in a variable or a literal with 400 BAD_USER_INPUT (Postgres-backed subgraphs would fail on it)', async () => {
    expectRefusal(await post({ query: 'query ($id: ID!) { book(id: $id) { title } }', variables: { id: 'b1\u0000' } }), 400, 'BAD_USER_INPUT');
    expectRefusal(await post({ query: 'query ($ids: [ID!]!) { count(ids: $ids) }', variables: { ids: ['b1', '\u0000'] } }), 400, 'BAD_USER_INPUT');
    const literal = await post({ query: '{ book(id: "b1\\u0000") { title } }' });
    expectRefusal(literal, 400, 'BAD_USER_INPUT');
    expect(literal.body?.errors?.[0]?.extensions?.argument).toBe('id');
  });
});

describe('oversized bodies', () => {
  const bigDocument = () => Buffer.from(JSON.stringify({ query: `{ hello(note: """${'x'.repeat(5 * 1024 * 1024)}""") }` }));

  function expectTooLarge(answer: { status: number; headers: http.IncomingHttpHeaders; text: string }) {
    expect(answer.status).toBe(413);
    expect(answer.headers['content-type']).toMatch(/json/);
    const body = JSON.parse(answer.text) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]?.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  }

  it('answers a 5 MB block string with 413 PAYLOAD_TOO_LARGE that the client receives (Content-Length)', async () => {
    const body = bigDocument();
    expectTooLarge(await rawPost(router.url, body, { ...JSON_HEADERS, 'content-length': String(body.length) }));
  });

  it('answers a 5 MB chunked upload with 413 PAYLOAD_TOO_LARGE that the client receives', async () => {
    expectTooLarge(await rawPost(router.url, bigDocument(), { ...JSON_HEADERS, 'transfer-encoding': 'chunked' }));
  });

  it('answers 413 to a client that reads only once it has sent its whole body', async () => {
    // Such a client is still sending when the answer is ready: a server that answers and closes at once
    // resets the connection, and the reset discards the answer before the client reads it.
    const body = bigDocument();
    for (const framing of ['content-length', 'chunked'] as const) {
      const head =
        `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
        (framing === 'chunked' ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${body.length}\r\n\r\n`);
      const payload = framing === 'chunked' ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : body;
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(router.port, '127.0.0.1');
        socket.pause();
        const received: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.on('end', () => resolve(Buffer.concat(received).toString('utf8')));
        socket.on('error', (error) => reject(new Error(`${framing}: ${error.message} after ${Buffer.concat(received).length} bytes of answer`)));
        socket.write(head);
        socket.write(payload, () => socket.resume());
      });
      const [statusLine = '', rest = ''] = raw.split('\r\n', 1).concat(raw.slice(raw.indexOf('\r\n\r\n') + 4));
      expect(statusLine).toBe('HTTP/1.1 413 Payload Too Large');
      expect(JSON.parse(rest)).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    }
  });

  /** Sends the head and `sent` of the body, then waits (reading as it comes) for the answer and the close. */
  function stalledUpload(declaredLength: number, sent: string): Promise<{ raw: string; ms: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const socket = net.connect(router.port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('close', () => resolve({ raw: Buffer.concat(received).toString('utf8'), ms: Date.now() - started }));
      socket.on('error', (error) => (received.length ? undefined : reject(error)));
      socket.write(`POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${declaredLength}\r\n\r\n${sent}`);
    });
  }

  it('answers 413 at once, without reading, when the declared length is beyond what it would drain', async () => {
    const { raw, ms } = await stalledUpload(1_000_000_000, '{"query":"');
    expect(raw.split('\r\n', 1)[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(raw).toContain('PAYLOAD_TOO_LARGE');
    expect(ms).toBeLessThan(2_000);
  });

  it('answers 413 and closes after a bounded wait when an oversized upload stalls', async () => {
    // Declared over the limit but within the drain bound: the host waits for the rest, 5 s at most.
    const { raw, ms } = await stalledUpload(MAX_BODY_BYTES + 1, '{"query":"');
    expect(raw.split('\r\n', 1)[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(raw).toContain('PAYLOAD_TOO_LARGE');
    expect(ms).toBeLessThan(10_000);
  });

  it('answers 413 to fetch too', async () => {
    const answer = await answerOf(await fetch(router.url, { method: 'POST', headers: JSON_HEADERS, body: bigDocument() }));
    expectRefusal(answer, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('documents', () => {
  it('refuses a syntax error with 400 GRAPHQL_PARSE_FAILED', async () => {
    expectRefusal(await post({ query: '{ hello ' }), 400, 'GRAPHQL_PARSE_FAILED');
    expectRefusal(await post({ query: '}' }), 400, 'GRAPHQL_PARSE_FAILED');
    expectRefusal(await post({ query: ' ' }), 400, 'GRAPHQL_PARSE_FAILED');
  });

  it('refuses an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    expectRefusal(await post({ query: '{ nope }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: '{ book(id: "b1") { id isbn } }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses wrong argument types and unknown arguments with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    expectRefusal(await post({ query: '{ books(limit: "ten") { id } }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: '{ book(id: { id: 1 }) { id } }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: '{ books { id } }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: '{ hello(loud: true) }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a missing required variable with 400 BAD_USER_INPUT', async () => {
    // engine: variable coercion.
    expectRefusal(await post({ query: 'query ($id: ID!) { book(id: $id) { id } }' }), 400, 'BAD_USER_INPUT');
    expectRefusal(await post({ query: 'query ($id: ID!) { book(id: $id) { id } }', variables: { id: null } }), 400, 'BAD_USER_INPUT');
  });

  it('refuses variables of the wrong type with 400 BAD_USER_INPUT', async () => {
    // engine: variable coercion.
    expectRefusal(await post({ query: 'query ($n: Int!) { books(limit: $n) { id } }', variables: { n: 'ten' } }), 400, 'BAD_USER_INPUT');
    expectRefusal(await post({ query: 'query ($n: Int!) { books(limit: $n) { id } }', variables: { n: 2 ** 40 } }), 400, 'BAD_USER_INPUT');
    expectRefusal(await post({ query: 'query ($id: ID!) { book(id: $id) { id } }', variables: { id: { id: 'b1' } } }), 400, 'BAD_USER_INPUT');
    expectRefusal(await post({ query: 'query ($t: Tree) { depth(tree: $t) }', variables: { t: { child: 5 } } }), 400, 'BAD_USER_INPUT');
    expectRefusal(await post({ query: 'query ($t: Tree) { depth(tree: $t) }', variables: { t: { leaf: true } } }), 400, 'BAD_USER_INPUT');
  });

  it('refuses an undefined variable and a variable of an input type the schema lacks with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    expectRefusal(await post({ query: '{ book(id: $id) { id } }', variables: { id: 'b1' } }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: 'query ($id: Isbn!) { book(id: $id) { id } }', variables: { id: 'b1' } }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: 'query ($id: ID!, $id: ID!) { book(id: $id) { id } }', variables: { id: 'b1' } }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses fragment cycles with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const cycle = '{ book(id: "b1") { ...A } } fragment A on Book { id ...B } fragment B on Book { title ...A }';
    expectRefusal(await post({ query: cycle }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: '{ book(id: "b1") { ...A } } fragment A on Book { ...A }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: '{ book(id: "b1") { ...Missing } }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses unknown directives with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    expectRefusal(await post({ query: '{ hello @nope }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: 'query @nope { hello }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await post({ query: '{ hello @skip }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a document over the token limit with 400 GRAPHQL_PARSE_FAILED', async () => {
    expectRefusal(await post({ query: `{ ${'hello '.repeat(6_000)}}` }), 400, 'GRAPHQL_PARSE_FAILED');
    expectRefusal(await post({ query: `{ books(limit: 1) { ${'...on Book { id } '.repeat(1_500)}} }` }), 400, 'GRAPHQL_PARSE_FAILED');
  });
});

describe('HTTP', () => {
  it('serves a query over GET', async () => {
    expectData(await get({ query: '{ hello }' }), { hello: 'world' });
  });

  it('refuses a mutation over GET with 405 and Allow: POST (GraphQL over HTTP)', async () => {
    const answer = await get({ query: 'mutation { note(text: "no") }' }, writable);
    expectRefusal(answer, 405, 'BAD_REQUEST');
    expect(answer.headers.get('allow')).toBe('POST');
  });

  it('refuses GET with variables or extensions that are not JSON objects with 400 BAD_REQUEST', async () => {
    const query = 'query ($id: ID!) { book(id: $id) { id } }';
    expectRefusal(await get({ query, variables: '{"id": "b1"' }), 400, 'BAD_REQUEST');
    expectRefusal(await get({ query, variables: '["b1"]' }), 400, 'BAD_REQUEST');
    expectRefusal(await get({ query, variables: '"b1"' }), 400, 'BAD_REQUEST');
    expectRefusal(await get({ query: '{ hello }', extensions: '{nope}' }), 400, 'BAD_REQUEST');
    expectRefusal(await get({ query: '{ hello }', variables: `{"deep":${deepArrayJson(2_000)}}` }), 400, 'BAD_REQUEST');
  });

  it('refuses GET without a query with 400 BAD_REQUEST', async () => {
    expectRefusal(await get({}), 400, 'BAD_REQUEST');
  });

  it('refuses a body that is not JSON with 400 BAD_REQUEST', async () => {
    expectRefusal(await postRaw('{"query": "{ hello }"', JSON_HEADERS), 400, 'BAD_REQUEST');
    expectRefusal(await postRaw('', JSON_HEADERS), 400, 'BAD_REQUEST');
    expectRefusal(await postRaw('\u00ff\u00fe', JSON_HEADERS), 400, 'BAD_REQUEST');
  });

  it('refuses a body that is JSON but not a request object with 400 BAD_REQUEST', async () => {
    expectRefusal(await postRaw('null', JSON_HEADERS), 400, 'BAD_REQUEST');
    expectRefusal(await postRaw('"{ hello }"', JSON_HEADERS), 400, 'BAD_REQUEST');
    expectRefusal(await postRaw('42', JSON_HEADERS), 400, 'BAD_REQUEST');
    expectRefusal(await postRaw('{}', JSON_HEADERS), 400, 'BAD_REQUEST');
  });

  it('refuses a content type other than JSON with 400 BAD_REQUEST', async () => {
    const body = JSON.stringify({ query: '{ hello }' });
    expectRefusal(await postRaw(body, { 'content-type': 'text/plain' }), 400, 'BAD_REQUEST');
    expectRefusal(await postRaw(body, { 'content-type': 'application/xml' }), 400, 'BAD_REQUEST');
    expectRefusal(await postRaw(body, { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'BAD_REQUEST');
    expectRefusal(await postRaw('{ hello }', { 'content-type': 'application/graphql', 'apollo-require-preflight': 'true' }), 400, 'BAD_REQUEST');
  });

  it('refuses a batch (a JSON array) with 400 BAD_REQUEST while batching is off', async () => {
    expectRefusal(await post([{ query: '{ hello }' }, { query: '{ hello }' }]), 400, 'BAD_REQUEST');
    expectRefusal(await post([]), 400, 'BAD_REQUEST');
  });

  it('refuses a request without a query with 400 BAD_REQUEST', async () => {
    expectRefusal(await post({ variables: {} }), 400, 'BAD_REQUEST');
    expectRefusal(await post({ query: null }), 400, 'BAD_REQUEST');
    expectRefusal(await post({ query: '' }), 400, 'BAD_REQUEST');
  });

  it.each([
    ['a number', 42],
    ['an object', { kind: 'Document', definitions: [] }],
    ['an array', ['{ hello }']],
    ['a boolean', true],
  ])('refuses a query that is %s with 400 BAD_REQUEST', async (_kind, query) => {
    expectRefusal(await post({ query }), 400, 'BAD_REQUEST');
  });

  it('refuses methods other than GET and POST with 405 BAD_REQUEST', async () => {
    const answer = await answerOf(await fetch(router.url, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ query: '{ hello }' }) }));
    expectRefusal(answer, 405, 'BAD_REQUEST');
  });

  it('refuses an Accept header that allows no JSON with 406 BAD_REQUEST', async () => {
    const answer = await answerOf(
      await fetch(router.url, { method: 'POST', headers: { ...JSON_HEADERS, accept: 'application/xml' }, body: JSON.stringify({ query: '{ hello }' }) }),
    );
    expectRefusal(answer, 406, 'BAD_REQUEST');
  });
});

describe('automatic persisted queries', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const persisted = (sha256Hash: unknown, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash } });

  it('registers a query under its hash and then runs it by hash alone', async () => {
    const query = '{ books(limit: 2) { id } }';
    expectData(await post({ query, extensions: persisted(sha256(query)) }), { books: [{ id: 'b1' }, { id: 'b2' }] });
    expectData(await post({ extensions: persisted(sha256(query)) }), { books: [{ id: 'b1' }, { id: 'b2' }] });
  });

  it('answers an unknown hash with 200 PERSISTED_QUERY_NOT_FOUND, so the client sends the query', async () => {
    const answer = await post({ extensions: persisted(sha256('{ never sent }')) });
    expect({ status: answer.status, code: answer.body?.errors?.[0]?.extensions?.code }).toEqual({ status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' });
  });

  it('refuses a hash that does not match the query with 400 PERSISTED_QUERY_HASH_MISMATCH', async () => {
    expectRefusal(await post({ query: '{ hello }', extensions: persisted(sha256('{ books(limit: 1) { id } }')) }), 400, 'PERSISTED_QUERY_HASH_MISMATCH');
    expectRefusal(await post({ query: '{ hello }', extensions: persisted(sha256('{ hello }').toUpperCase()) }), 400, 'PERSISTED_QUERY_HASH_MISMATCH');
  });

  it.each([
    ['not hexadecimal', 'z'.repeat(64)],
    ['too short', 'abc123'],
    ['empty', ''],
    ['a number', 12345],
    ['an object', { sha: 'abc' }],
    ['missing', undefined],
  ])('refuses a sha256Hash that is %s with 400 BAD_REQUEST, with or without the query', async (_kind, hash) => {
    expectRefusal(await post({ query: '{ hello }', extensions: persisted(hash) }), 400, 'BAD_REQUEST');
    expectRefusal(await post({ extensions: persisted(hash) }), 400, 'BAD_REQUEST');
  });

  it('refuses an unsupported persisted query version or shape with 400 BAD_REQUEST', async () => {
    expectRefusal(await post({ query: '{ hello }', extensions: persisted(sha256('{ hello }'), 2) }), 400, 'BAD_REQUEST');
    expectRefusal(await post({ query: '{ hello }', extensions: persisted(sha256('{ hello }'), '1') }), 400, 'BAD_REQUEST');
    expectRefusal(await post({ query: '{ hello }', extensions: { persistedQuery: true } }), 400, 'BAD_REQUEST');
    expectRefusal(await post({ query: '{ hello }', extensions: { persistedQuery: sha256('{ hello }') } }), 400, 'BAD_REQUEST');
  });
});
