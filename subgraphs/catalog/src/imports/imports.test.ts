import { request } from 'node:http';
import { signUrl } from '@storefront/identity';
import { type SeedPlan } from '@storefront/seed-world';
import { Queue } from 'bullmq';
import { TEST_FILES, startCatalogWorld, waitFor, type CatalogWorld } from '../test-workers.ts';
import { admin, customer, importApi, productCsv } from './import-test-support.ts';
import { PRODUCT_IMPORT_QUEUE, publicUploadPath } from './product-imports.ts';

const PLAN: SeedPlan = { users: 4, categories: 3, products: 10, warehouses: 1, orders: 0, wishlistItemsPerUser: 0 };

let world: CatalogWorld;
let api: ReturnType<typeof importApi>;
let slugs: string[];
beforeAll(async () => {
  world = await startCatalogWorld(PLAN);
  await world.startWorkers();
  api = importApi(world);
  slugs = await api.categorySlugs();
});
afterAll(() => world?.close());

const codes = (response: { body: { errors?: Array<{ extensions?: Record<string, unknown> }> } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

describe('bulk product import', () => {
  it('imports 100,000 rows uploaded through the signed URL, reporting progress and the invalid rows by line', async () => {
    const { id, uploadUrl, productImport } = await api.createImport();
    expect(productImport).toMatchObject({ status: 'AWAITING_UPLOAD', totalRows: null, processedRows: 0, progress: 0 });
    expect(new URL(uploadUrl).pathname).toBe(`/files/catalog/imports/${id}.csv`);
    // Row n is on line n + 1 (line 1 is the header).
    const broken = new Map([
      [10, `bad sku,Name,,100,EUR,${slugs[0]},100,STANDARD`],
      [2_500, `IMP-002500,Priced in euros,,19.99,EUR,${slugs[0]},100,STANDARD`],
      [50_000, 'IMP-050000,No such category,,100,EUR,no-such-category,100,STANDARD'],
      [99_999, 'IMP-099999,Too few fields'],
    ]);
    const response = await api.upload(uploadUrl, productCsv('IMP', 100_000, slugs, broken));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id, status: 'UPLOADED', totalRows: 100_000 });

    const started = (await api.startImport(id)).body.data!.startProductImport;
    expect(started).toMatchObject({ productImport: { status: 'QUEUED' }, errors: [] });

    const seen: number[] = [];
    await waitFor(async () => {
      const view = await api.importView(id);
      seen.push(view.progress);
      return view.status === 'SUCCEEDED' || view.status === 'FAILED';
    }, 'the import to finish', 55_000, 250);

    expect(await api.importView(id)).toEqual({
      id,
      status: 'SUCCEEDED',
      totalRows: 100_000,
      processedRows: 100_000,
      failedRows: 4,
      importedRows: 99_996,
      progress: 100,
      failureReason: null,
    });
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.some((p) => p > 0 && p < 100)).toBe(true);
    expect(await api.countProducts('IMP')).toBe(99_996);
    const sample = await world.prisma.product.findUnique({ where: { sku: 'IMP-000042' } });
    expect(sample).toMatchObject({ name: 'Product 42, imported', description: 'Says "hello" 42', priceCents: 142, currency: 'EUR', weightGrams: 242 });

    const queue = new Queue(PRODUCT_IMPORT_QUEUE, { connection: world.queues.connection, prefix: world.queues.prefix });
    try {
      // The job reports 100 just after the import row says SUCCEEDED.
      await waitFor(async () => (await queue.getJob(id))?.progress === 100, 'the job to report 100');
    } finally {
      await queue.close();
    }

    const { body } = await world.catalog.query<{ productImport: { errors: { edges: Array<{ node: { line: number; message: string } }> } } }>(
      'query ($id: ID!) { productImport(id: $id) { errors(first: 10) { edges { node { line message } } } } }',
      { id },
      admin,
    );
    const errors = body.data!.productImport.errors.edges.map((edge) => edge.node);
    expect(errors.map((e) => e.line)).toEqual([11, 2_501, 50_001, 100_000]);
    expect(errors[0]!.message).toMatch(/^sku:/);
    expect(errors[1]!.message).toMatch(/price must be a whole number of minor units/);
    expect(errors[2]!.message).toMatch(/no category with slug "no-such-category"/);
    expect(errors[3]!.message).toMatch(/Expected 8 fields/);
  });

  it('updates existing products by SKU, the last row of a SKU winning', async () => {
    const { id, uploadUrl } = await api.createImport();
    const csv = productCsv('UPD', 3, slugs).replace('UPD-000003,"Product 3', 'UPD-000001,"Product 1 again');
    expect((await api.upload(uploadUrl, csv)).status).toBe(200);
    await api.startImport(id);
    await waitFor(async () => (await api.importView(id)).status === 'SUCCEEDED', 'the import to finish');
    expect(await api.countProducts('UPD')).toBe(2);
    expect((await world.prisma.product.findUnique({ where: { sku: 'UPD-000001' } }))?.name).toBe('Product 1 again, imported');
  });

  it('takes the last upload to finish as the file, never a mix, and leaves no pieces of the others', async () => {
    const { id, uploadUrl } = await api.createImport();
    expect((await api.upload(uploadUrl, productCsv('RA', 2, slugs))).status).toBe(200);
    // Two more at once, each over a megabyte (several stored pieces): one wins whole.
    const [b, c] = [productCsv('RB', 12_000, slugs), productCsv('RC', 13_000, slugs)];
    expect(b.length).toBeGreaterThan(1024 * 1024);
    expect((await Promise.all([api.upload(uploadUrl, b), api.upload(uploadUrl, c)])).map((r) => r.status)).toEqual([200, 200]);
    const { uploadId } = (await world.prisma.productImport.findUniqueOrThrow({ where: { id } }))!;
    const pieces = await world.prisma.productImportChunk.groupBy({ by: ['uploadId'], where: { importId: id }, _count: true });
    expect(pieces).toEqual([{ uploadId, _count: expect.any(Number) }]);

    await api.startImport(id);
    await waitFor(async () => (await api.importView(id)).status === 'SUCCEEDED', 'the import to finish');
    const imported = { RA: await api.countProducts('RA'), RB: await api.countProducts('RB'), RC: await api.countProducts('RC') };
    expect([{ RA: 0, RB: 12_000, RC: 0 }, { RA: 0, RB: 0, RC: 13_000 }]).toContainEqual(imported);
    expect((await api.importView(id)).totalRows).toBe(imported.RB + imported.RC);
    expect(await world.prisma.productImportChunk.count({ where: { importId: id } })).toBe(0);
  });

  it('removes the pieces of an upload the client abandons, keeping the file it had', async () => {
    const { id, uploadUrl } = await api.createImport();
    expect((await api.upload(uploadUrl, productCsv('KEEP', 3, slugs))).status).toBe(200);
    const kept = (await world.prisma.productImport.findUniqueOrThrow({ where: { id } })).uploadId;
    // Two megabytes of a bigger file, then the connection drops.
    const partial = productCsv('GONE', 30_000, slugs).slice(0, 2 * 1024 * 1024);
    await new Promise<void>((resolve) => {
      const put = request(api.catalogUrl(uploadUrl), { method: 'PUT', headers: { 'content-type': 'text/csv', 'content-length': String(partial.length * 2) } });
      put.on('error', () => resolve());
      put.write(partial, () => setTimeout(() => put.destroy(), 300));
    });
    await waitFor(async () => (await world.prisma.productImportChunk.count({ where: { importId: id, uploadId: { not: kept! } } })) === 0, 'the abandoned pieces to go');
    expect(await world.prisma.productImport.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'UPLOADED', uploadId: kept, totalRows: 3 });
    expect(await world.prisma.productImportChunk.count({ where: { importId: id, uploadId: kept! } })).toBeGreaterThan(0);
  });

  it('refuses uploads whose signature is wrong, expired or for another import', async () => {
    const { id, uploadUrl } = await api.createImport();
    const csv = productCsv('SIG', 3, slugs);
    const tampered = new URL(uploadUrl);
    tampered.searchParams.set('signature', `${tampered.searchParams.get('signature')!.slice(0, -2)}xx`);
    expect((await api.upload(tampered.toString(), csv)).status).toBe(403);

    const expired = signUrl(TEST_FILES.secret, TEST_FILES.publicUrl, { method: 'PUT', path: publicUploadPath(id), expiresAt: new Date(Date.now() - 1_000) });
    const expiredResponse = await api.upload(expired, csv);
    expect(expiredResponse.status).toBe(403);
    expect(await expiredResponse.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });

    const other = await api.createImport();
    const swapped = new URL(uploadUrl);
    swapped.pathname = publicUploadPath(other.id);
    expect((await api.upload(swapped.toString(), csv)).status).toBe(403);

    const unsigned = new URL(uploadUrl);
    unsigned.search = '';
    expect((await api.upload(unsigned.toString(), csv)).status).toBe(403);
    expect((await api.importView(id)).status).toBe('AWAITING_UPLOAD');
  });

  it('is for admins only', async () => {
    const { id } = await api.createImport();
    expect(codes(await world.catalog.query('mutation { createProductImport { uploadUrl } }', {}, customer))).toEqual(['FORBIDDEN']);
    expect(codes(await world.catalog.query('mutation { createProductImport { uploadUrl } }', {}))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await api.startImport(id, customer))).toEqual(['FORBIDDEN']);
    expect(codes(await world.catalog.query('query ($id: ID!) { productImport(id: $id) { id } }', { id }, customer))).toEqual(['FORBIDDEN']);
    expect(codes(await world.catalog.query('{ productImports { edges { node { id } } } }', {}, customer))).toEqual(['FORBIDDEN']);
    const listed = await world.catalog.query<{ productImports: { edges: Array<{ node: { id: string } }> } }>(
      '{ productImports(first: 100) { edges { node { id } } } }',
      {},
      admin,
    );
    expect(listed.body.data!.productImports.edges[0]!.node.id).toBe(id);
  });

  it('refuses to start before the upload, and fails a file whose header is wrong', async () => {
    const { id, uploadUrl } = await api.createImport();
    expect((await api.startImport(id)).body.data!.startProductImport.errors).toEqual([{ code: 'INVALID_STATE' }]);
    expect((await api.upload(uploadUrl, 'sku,title,price\nX-1,Y,1\n')).status).toBe(200);
    await api.startImport(id);
    await waitFor(async () => (await api.importView(id)).status === 'FAILED', 'the import to fail');
    const view = await api.importView(id);
    expect(view.failureReason).toMatch(/missing column\(s\) name, currency, category, weight_grams and unknown column\(s\) "title"/);
    // Once started, the file can no longer change.
    expect((await api.upload(uploadUrl, productCsv('LATE', 1, slugs))).status).toBe(409);
  });
});
