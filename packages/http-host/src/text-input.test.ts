import { ApolloServer } from '@apollo/server';
import { z } from 'zod';
import { commonApolloOptions, type RequestContext } from './index.ts';
import { idempotencyKeySchema, validateInput } from '@storefront/api-conventions';
import { createLogger } from '@storefront/telemetry';
import { decodeCursor, encodeCursor } from '@storefront/api-conventions';
import { escapeLikeWildcards, hasControlCharacters, multiLineText, pathsOfStrings, singleLineText } from '@storefront/api-conventions';

describe('text fields', () => {
  const form = z.object({ name: singleLineText().trim().min(1).max(20), notes: multiLineText().max(100) });
  const errorsOf = (input: unknown) => {
    const result = validateInput(form, input);
    return result.ok ? [] : result.errors.map(({ path, code }) => ({ path: path.join('.'), code }));
  };

  it('refuses NUL and every other C0 or C1 control character in one line of text, tab and line breaks included', () => {
    for (const character of ['\u0000', '\u0001', '\u0007', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009f']) {
      expect([JSON.stringify(character), errorsOf({ name: `a${character}b`, notes: '' })]).toEqual([
        JSON.stringify(character),
        [{ path: 'input.name', code: 'INVALID_CHARACTERS' }],
      ]);
    }
    expect(errorsOf({ name: 'Zoë Ångström', notes: '' })).toEqual([]);
  });

  it('lets multi-line text keep tabs and line breaks, not the other control characters', () => {
    expect(errorsOf({ name: 'a', notes: 'one\n\ttwo\r\nthree' })).toEqual([]);
    expect(errorsOf({ name: 'a', notes: 'one\u0000two' })).toEqual([{ path: 'input.notes', code: 'INVALID_CHARACTERS' }]);
    expect(errorsOf({ name: 'a', notes: '\u001b[2J' })).toEqual([{ path: 'input.notes', code: 'INVALID_CHARACTERS' }]);
  });

  it('reports refused characters alone, beside the other fields’ mistakes', () => {
    expect(errorsOf({ name: `\u0000${'x'.repeat(20)}`, notes: 'y'.repeat(101) })).toEqual([
      { path: 'input.name', code: 'INVALID_CHARACTERS' },
      { path: 'input.notes', code: 'TOO_LONG' },
    ]);
  });

  it('refuses NUL in any string of a mutation input, even where the schema says only z.string(); other characters are the schema’s call', () => {
    const loose = z.object({ title: z.string(), tags: z.array(z.string()), nested: z.object({ text: z.string(), password: z.string() }) });
    const result = validateInput(loose, { title: 'ok\u0007', tags: ['a', 'b\u0000'], nested: { text: '\u0000', password: 'tab\tbed' } });
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: ['input', 'tags', '1'], code: 'INVALID_CHARACTERS', message: expect.any(String) },
        { path: ['input', 'nested', 'text'], code: 'INVALID_CHARACTERS', message: expect.any(String) },
      ],
    });
    expect(validateInput(loose, { title: 'ok\u0007', tags: [], nested: { text: '', password: 'tab\tbed' } }).ok).toBe(true);
  });

  it('refuses NUL in idempotency keys as INVALID_CHARACTERS', () => {
    const result = validateInput(z.object({ key: idempotencyKeySchema }), { key: 'abcdefgh\u0000' });
    expect(result.ok ? [] : result.errors.map((error) => error.code)).toEqual(['INVALID_CHARACTERS']);
  });

  it('tells multi-line from single-line rules', () => {
    expect(hasControlCharacters('a\nb')).toBe(true);
    expect(hasControlCharacters('a\nb', { multiline: true })).toBe(false);
    expect(hasControlCharacters('a\u000bb', { multiline: true })).toBe(true);
  });
});

describe('escapeLikeWildcards', () => {
  it('escapes %, _ and the escape character itself', () => {
    expect(escapeLikeWildcards('100%_off\\now')).toBe('100\\%\\_off\\\\now');
    expect(escapeLikeWildcards('plain text')).toBe('plain text');
  });
});

describe('pathsOfStrings', () => {
  it('finds matching strings at any depth, up to a limit', () => {
    const value = { a: 'x', b: ['y', { c: 'x' }], d: 1, e: null };
    expect(pathsOfStrings(value, (text) => text === 'x')).toEqual([['a'], ['b', 1, 'c']]);
    expect(pathsOfStrings(value, (text) => text === 'x', 1)).toEqual([['a']]);
    expect(pathsOfStrings('x', (text) => text === 'x')).toEqual([[]]);
  });
});

describe('cursors', () => {
  it('refuses a cursor holding NUL as one this API did not issue', () => {
    const schema = z.object({ name: z.string() });
    expect(decodeCursor(encodeCursor({ name: 'Kettle' }), schema)).toEqual({ name: 'Kettle' });
    expect(() => decodeCursor(encodeCursor({ name: 'Kettle\u0000' }), schema)).toThrow(/not one this API issued/);
  });
});

describe('queries with NUL', () => {
  let apollo: ApolloServer<RequestContext>;
  beforeAll(async () => {
    apollo = new ApolloServer<RequestContext>({
      typeDefs: 'type Query { find(text: String, filter: Filter): String } input Filter { words: [String!] } type Mutation { save(text: String!): String }',
      resolvers: { Query: { find: () => 'found' }, Mutation: { save: (_: unknown, { text }: { text: string }) => text } },
      ...commonApolloOptions<RequestContext>({ nodeEnv: 'test', landingPage: false }),
    });
    await apollo.start();
  });
  afterAll(() => apollo?.stop());

  const contextValue: RequestContext = { requestId: 'r-1', logger: createLogger({ service: 'test', level: 'silent' }), viewer: null };
  const run = async (query: string, variables?: Record<string, unknown>) => {
    const response = await apollo.executeOperation({ query, variables }, { contextValue });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { status: response.http.status, result: response.body.singleResult };
  };

  it('are refused with 400 BAD_USER_INPUT, whether the NUL is in a variable or a literal', async () => {
    const inVariable = await run('query ($f: Filter) { find(filter: $f) }', { f: { words: ['ok', 'a\u0000'] } });
    expect(inVariable.status).toBe(400);
    expect(inVariable.result.errors?.[0]).toMatchObject({ message: expect.stringMatching(/"\$f\.words\.1"/), extensions: { code: 'BAD_USER_INPUT' } });
    const inLiteral = await run('{ find(text: "a\\u0000") }');
    expect(inLiteral.status).toBe(400);
    expect(inLiteral.result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'text' });
    expect((await run('{ find(text: "a\\tb") }')).result).toEqual({ data: { find: 'found' } });
  });

  it('leave mutations to their input validation (INVALID_CHARACTERS in the payload)', async () => {
    expect((await run('mutation ($t: String!) { save(text: $t) }', { t: 'a\u0000' })).result).toEqual({ data: { save: 'a\u0000' } });
  });
});
