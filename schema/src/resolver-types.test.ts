import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from '@storefront/config';
import ts from 'typescript';

/*
 * The generated types must bite: a resolver map with a field the schema lacks, or a resolver that takes an
 * argument as the wrong type, fails to compile. Compiled in memory against reviews' committed
 * src/generated/resolvers-types.ts, with small stand-ins for what it imports (the context and parent types
 * from ../resolvers.ts, the Prisma model), so only graphql's declarations are read from disk.
 */

const GENERATED = readFileSync(path.join(REPO_ROOT, 'subgraphs/reviews/src/generated/resolvers-types.ts'), 'utf8');

const PRISMA_MODELS = `export type Review = { id: string; authorId: string; authorName: string; purchasableId: string; rating: number; title: string; body: string; createdAt: Date };
`;

function resolversModule(body: string): string {
  return `import type { Resolvers } from './generated/resolvers-types.ts';
export interface ReviewsContext { requestId: string; isPurchased(authorId: string): Promise<boolean> }
export type PurchasableParent = { __typename: 'Purchasable'; id: string };
export type UserParent = { id: string; name?: string };
export const resolvers: Resolvers = ${body};
`;
}

const CORRECT = `{
  Query: { review: (_, { id }) => ({ id, authorId: 'a', authorName: 'Ada', purchasableId: 'p', rating: 5, title: 't', body: 'b', createdAt: new Date(0) }) },
  Review: {
    author: (review) => ({ id: review.authorId, name: review.authorName }),
    verifiedPurchase: (review, _, { isPurchased }) => isPurchased(review.authorId),
  },
}`;

const graphqlTypings = path.join(path.dirname(createRequire(import.meta.url).resolve('graphql/package.json')), 'index.d.ts');

function diagnostics(resolversSource: string): string[] {
  const files = new Map<string, string>([
    ['/virtual/src/generated/resolvers-types.ts', GENERATED],
    ['/virtual/src/generated/prisma/client.ts', PRISMA_MODELS],
    ['/virtual/src/resolvers.ts', resolversSource],
  ]);
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    lib: ['lib.es2023.d.ts'],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readDisk = host.readFile.bind(host);
  const sourceFromDisk = host.getSourceFile.bind(host);
  host.readFile = (file) => files.get(file) ?? readDisk(file);
  host.fileExists = (file) => files.has(file) || file === graphqlTypings || ts.sys.fileExists(file);
  host.getSourceFile = (file, languageVersion, ...rest) => {
    const text = files.get(file);
    return text === undefined ? sourceFromDisk(file, languageVersion, ...rest) : ts.createSourceFile(file, text, languageVersion, true);
  };
  // In-memory files resolve among themselves; `graphql` to the repository's own typings.
  host.resolveModuleNames = (names, containing) =>
    names.map((name) => {
      if (name === 'graphql') return { resolvedFileName: graphqlTypings, extension: ts.Extension.Dts, isExternalLibraryImport: true };
      const target = path.posix.resolve(path.posix.dirname(containing), name);
      return files.has(target) ? { resolvedFileName: target, extension: ts.Extension.Ts } : undefined;
    });
  const program = ts.createProgram(['/virtual/src/resolvers.ts'], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe("reviews' generated resolver types", () => {
  it('accept the resolver map the schema describes', () => {
    expect(diagnostics(resolversModule(CORRECT))).toEqual([]);
  });

  it('refuse a resolver for a field the schema does not have', () => {
    const misnamed = CORRECT.replace('verifiedPurchase:', 'verifiedPurchaser:');
    expect(diagnostics(resolversModule(misnamed)).join('\n')).toMatch(/'verifiedPurchaser' does not exist in type 'ReviewResolvers/);
  });

  it('refuse a resolver that takes an argument as the wrong type', () => {
    const wrongArgument = CORRECT.replace('review: (_, { id })', 'review: (_: unknown, { id }: { id: number })');
    expect(diagnostics(resolversModule(wrongArgument)).join('\n')).toMatch(/Type 'string' is not assignable to type 'number'/);
  });

  it('refuse a parent field the Prisma model does not have', () => {
    const wrongParent = CORRECT.replace('name: review.authorName', 'name: review.author');
    expect(diagnostics(resolversModule(wrongParent)).join('\n')).toMatch(/Property 'author' does not exist on type 'Review'/);
  });
});
