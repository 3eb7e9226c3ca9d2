/*
 * npm run web:codegen — the web app's typed documents and persisted-query manifest, from the supergraph:
 *   1. the API schema clients see is derived from schema/supergraph.graphql (web/schema.graphql, committed so
 *      editors and reviewers see what the app is typed against);
 *   2. GraphQL Code Generator's client preset types every graphql(`…`) document in web/src
 *      (web/src/generated/gql: typed documents, fragment masking);
 *   3. the persisted-query manifest (web/persisted-queries.json) lists every operation the app sends, exactly
 *      as Apollo Client prints it, plus the router's session endpoint's operations; the router runs in
 *      safelist mode with it in production.
 * --supergraph <file> uses another supergraph than schema/supergraph.graphql.
 * --check writes nothing and fails when any of these is stale, or when an operation no longer validates
 * against the composed supergraph (the consumer-driven contract check CI runs).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generate } from '@graphql-codegen/cli';
import { REPO_ROOT } from '@storefront/config';
import { API_SCHEMA_PATH, committedApiSchema, printApiSchema } from './api-schema.ts';
import { buildManifest, contractProblems, MANIFEST_PATH } from './manifest.ts';

const WEB = path.join(REPO_ROOT, 'web');

export async function generatedFiles(apiSchemaSdl: string): Promise<{ filename: string; content: string }[]> {
  const outputs = (await generate(
    {
      schema: apiSchemaSdl,
      documents: [path.join(WEB, 'src/**/*.{ts,tsx}'), `!${path.join(WEB, 'src/generated/**')}`],
      ignoreNoDocuments: false,
      silent: true,
      generates: {
        [path.join(WEB, 'src/generated/gql/')]: {
          preset: 'client',
          presetConfig: { fragmentMasking: { unmaskFunctionName: 'getFragmentData' } },
          config: { enumsAsTypes: true, useTypeImports: true, scalars: { DateTime: 'string' }, skipTypename: false, documentMode: 'documentNode' },
        },
      },
    },
    false,
  )) as { filename: string; content: string }[];
  return outputs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, supergraph: { type: 'string' } } });
  const schema = committedApiSchema(values.supergraph);
  const sdl = printApiSchema(schema);
  const stale: string[] = [];
  const write = (file: string, content: string) => {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (current === content) return;
    if (values.check) stale.push(path.relative(REPO_ROOT, file));
    else {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  };
  write(API_SCHEMA_PATH, sdl);
  for (const output of await generatedFiles(sdl)) write(output.filename, output.content);
  if (stale.length) {
    console.error(`stale (run npm run web:codegen and commit): ${stale.join(', ')}`);
    process.exit(1);
  }
  // The manifest is built from the generated documents on disk: up to date now (or checked to be).
  const manifest = await buildManifest();
  const problems = contractProblems(manifest, schema);
  if (problems.length) {
    console.error(`web operations that no longer validate against schema/supergraph.graphql:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  write(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
  if (stale.length) {
    console.error(`stale (run npm run web:codegen and commit): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(`${manifest.operations.length} operations ${values.check ? 'checked' : 'written'}: web/src/generated/gql, ${path.relative(REPO_ROOT, MANIFEST_PATH)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
