import type { ChildProcess } from 'node:child_process';
import type { SeedPlan } from '@storefront/seed-world';
import { startCatalogWorld, waitFor, type CatalogWorld } from '../test-workers.ts';
import { productImportJob } from './import-job.ts';
import { importApi, productCsv, spawnImportWorker } from './import-test-support.ts';

const PLAN: SeedPlan = { users: 2, categories: 3, products: 5, warehouses: 1, orders: 0, wishlistItemsPerUser: 0 };
const silent = { info() {}, warn() {}, error() {} };

// No in-process workers here: only the worker this test kills, then its replacement, may take the job.
let world: CatalogWorld;
let api: ReturnType<typeof importApi>;
beforeAll(async () => {
  world = await startCatalogWorld(PLAN);
  api = importApi(world);
});
afterAll(() => world?.close());

describe('a product import whose worker is killed', () => {
  let child: ChildProcess | undefined;
  let replacement: ReturnType<ReturnType<typeof productImportJob>['start']> | undefined;
  afterEach(async () => {
    child?.kill('SIGKILL');
    await replacement?.close();
  });

  it('is finished by a new worker from its checkpoint, with no row lost or doubled', async () => {
    const rows = 10_000;
    const { id, uploadUrl } = await api.createImport();
    expect((await api.upload(uploadUrl, productCsv('KIL', rows, await api.categorySlugs()))).status).toBe(200);

    // Short locks and stalled checks so the killed worker's job is found within a second or two, not 30 s.
    const workerOptions = { lockDuration: 1_000, stalledInterval: 500 };
    child = await spawnImportWorker(world, { BATCH_SIZE: '250', LOCK_MS: '1000', STALLED_INTERVAL_MS: '500' });
    await api.startImport(id);
    await waitFor(async () => (await api.importView(id)).processedRows >= 1_000, 'the first worker to import some batches');
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const atKill = await api.importView(id);
    expect(atKill.status).toBe('RUNNING');
    expect(atKill.processedRows).toBeGreaterThan(0);
    expect(atKill.processedRows).toBeLessThan(rows);

    replacement = productImportJob(world.prisma, { workerOptions }).start(world.queues, silent);
    await waitFor(async () => (await api.importView(id)).status !== 'RUNNING', 'the new worker to finish the import', 45_000);

    expect(await api.importView(id)).toMatchObject({ status: 'SUCCEEDED', totalRows: rows, processedRows: rows, failedRows: 0, importedRows: rows, progress: 100 });
    const [check] = await world.prisma.$queryRaw<Array<{ products: number; names: number }>>`
      SELECT count(*)::int AS products, count(DISTINCT name)::int AS names FROM products WHERE sku LIKE 'KIL-%'`;
    expect(check).toEqual({ products: rows, names: rows });
  });
});
