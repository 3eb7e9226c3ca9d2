/* Helpers of the import tests: an admin's view of the GraphQL API and the upload URL, on one CatalogWorld. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace } from '@storefront/seed-world';
import { TEST_FILES, type CatalogWorld } from '../test-workers.ts';

export const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
export const customer: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 1), ['CUSTOMER']);
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const IMPORT_FIELDS = 'id status totalRows processedRows failedRows importedRows progress failureReason';
export type ImportView = {
  id: string;
  status: string;
  totalRows: number | null;
  processedRows: number;
  failedRows: number;
  importedRows: number;
  progress: number;
  failureReason: string | null;
};

export const HEADER = 'sku,name,description,price,currency,category,weight_grams,shipping_class';

export function importApi(world: CatalogWorld) {
  const api = {
    async createImport(): Promise<{ id: string; uploadUrl: string; productImport: ImportView }> {
      const { body } = await world.catalog.query<{ createProductImport: { productImport: ImportView; uploadUrl: string } }>(
        `mutation { createProductImport { productImport { ${IMPORT_FIELDS} } uploadUrl } }`,
        {},
        admin,
      );
      const created = body.data?.createProductImport;
      if (!created) throw new Error(`createProductImport failed: ${JSON.stringify(body.errors)}`);
      return { id: created.productImport.id, uploadUrl: created.uploadUrl, productImport: created.productImport };
    },

    /** The router forwards /files/catalog/* to catalog's /files/*: the same, from the public URL to this catalog. */
    catalogUrl(publicUrl: string): string {
      const url = new URL(publicUrl);
      if (url.origin !== TEST_FILES.publicUrl) throw new Error(`${publicUrl} is not on ${TEST_FILES.publicUrl}`);
      const local = new URL(world.catalog.subgraph.url);
      local.pathname = url.pathname.replace(/^\/files\/catalog\//, '/files/');
      local.search = url.search;
      return local.toString();
    },

    upload: (publicUrl: string, csv: string) =>
      fetch(api.catalogUrl(publicUrl), { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv }),

    startImport: (id: string, viewer: Viewer = admin) =>
      world.catalog.query<{ startProductImport: { productImport: ImportView | null; errors: Array<{ code: string }> } }>(
        `mutation ($id: ID!) { startProductImport(id: $id) { productImport { ${IMPORT_FIELDS} } errors { code } } }`,
        { id },
        viewer,
      ),

    async importView(id: string): Promise<ImportView> {
      const { body } = await world.catalog.query<{ productImport: ImportView }>(`query ($id: ID!) { productImport(id: $id) { ${IMPORT_FIELDS} } }`, { id }, admin);
      if (!body.data?.productImport) throw new Error(`productImport failed: ${JSON.stringify(body.errors)}`);
      return body.data.productImport;
    },

    async categorySlugs(): Promise<string[]> {
      return (await world.prisma.category.findMany({ select: { slug: true }, orderBy: { slug: 'asc' } })).map((c) => c.slug);
    },

    countProducts: (prefix: string) => world.prisma.product.count({ where: { sku: { startsWith: `${prefix}-` } } }),
  };
  return api;
}

/** `rows` product lines with SKUs <prefix>-000001…; `broken` replaces row n (on line n + 1) with a bad line. */
export function productCsv(prefix: string, rows: number, slugs: readonly string[], broken: ReadonlyMap<number, string> = new Map()): string {
  const lines = [HEADER];
  for (let i = 1; i <= rows; i++) {
    const sku = `${prefix}-${String(i).padStart(6, '0')}`;
    lines.push(broken.get(i) ?? `${sku},"Product ${i}, imported","Says ""hello"" ${i}",${100 + (i % 5000)},EUR,${slugs[i % slugs.length]},${200 + (i % 900)},STANDARD`);
  }
  return `${lines.join('\n')}\n`;
}

/** Starts import-worker.fixture.ts in its own Node process on the world's database and queues. */
export async function spawnImportWorker(world: CatalogWorld, env: Record<string, string>): Promise<ChildProcess> {
  const prefix = world.queues.prefix ?? 'bull';
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./import-worker.fixture.ts', import.meta.url))], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, DATABASE_URL: world.catalog.database.url, QUEUE_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`import worker exited early (${code})`)));
    child.stdout?.on('data', (data: Buffer) => {
      if (data.toString().includes('ready')) resolve();
    });
  });
  return child;
}
