import { existsSync, readFileSync } from 'node:fs';
import { isAbstractType } from 'graphql';
import { POSSIBLE_TYPES } from '../src/cache.ts';
import { committedApiSchema, printApiSchema } from './api-schema.ts';
import { API_SCHEMA_PATH, generatedFiles } from './codegen.ts';
import { buildManifest, contractProblems, MANIFEST_PATH } from './manifest.ts';

/*
 * The web app's consumer-driven contract with the supergraph: every operation it sends validates against the
 * composed API schema (so a subgraph change that would break the shop fails here, before it ships), and what
 * is committed — the API schema, the generated documents and the persisted-query manifest the production
 * router's safelist is built from — is what the sources produce (npm run web:codegen).
 */

const schema = committedApiSchema();

describe('the web app against the supergraph', () => {
  it('sends only operations that validate against the composed API schema', async () => {
    expect(contractProblems(await buildManifest(), schema)).toEqual([]);
  });

  it('has committed the API schema and generated documents the sources produce', async () => {
    const sdl = printApiSchema(schema);
    expect(readFileSync(API_SCHEMA_PATH, 'utf8')).toBe(sdl);
    const stale = (await generatedFiles(sdl)).filter((output) => !existsSync(output.filename) || readFileSync(output.filename, 'utf8') !== output.content);
    expect(stale.map((output) => output.filename)).toEqual([]);
  }, 120_000);

  it('has committed the persisted-query manifest of exactly the operations it sends', async () => {
    const manifest = await buildManifest();
    expect(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8'))).toEqual(manifest);
    expect(manifest.operations.map((operation) => operation.name)).toEqual(expect.arrayContaining(['Catalog', 'ProductPage', 'PlaceOrder', 'OrderProgress', 'SessionRefresh']));
  });

  it("tells the cache every interface's implementations", () => {
    const abstract = Object.values(schema.getTypeMap()).filter((type) => isAbstractType(type) && !type.name.startsWith('__'));
    const expected = Object.fromEntries(abstract.map((type) => [type.name, schema.getPossibleTypes(type as never).map((t) => t.name).sort()]));
    expect(Object.fromEntries(Object.entries(POSSIBLE_TYPES).map(([name, types]) => [name, [...types].sort()]))).toEqual(expected);
  });
});
