import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@storefront/config';
import { isAbstractType } from 'graphql';
import { POSSIBLE_TYPES } from '../src/cache.ts';
import { API_SCHEMA_PATH, committedApiSchema, printApiSchema } from './api-schema.ts';
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
    expect(readFileSync(API_SCHEMA_PATH, 'utf8')).toBe(printApiSchema(schema));
    // GraphQL Code Generator loads its presets with require(), which jest's ESM mode refuses: run it as CI does.
    const check = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'web/scripts/codegen.ts'), '--check'], { cwd: REPO_ROOT }).then(
      () => 'fresh',
      (error: { stderr?: string }) => error.stderr ?? String(error),
    );
    expect(check).toBe('fresh');
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
