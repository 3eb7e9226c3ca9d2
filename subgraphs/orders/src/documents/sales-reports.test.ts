import { signUrl, viewerWithRoles } from '@storefront/identity';
import { seedProduct } from '@storefront/seed-world';
import { admin, customer, errorCodes, productId, seededOrders, TEST_PLAN, type Edges } from '../test-fixtures.ts';
import { reportPublicPath } from './files.ts';
import { SALES_REPORT_QUEUE } from './jobs.ts';
import { CSV_HEADER } from './sales-reports.ts';
import { startDocumentsEnvironment, TEST_REPORT_BATCH_SIZE, TEST_SIGNING, waitFor, type DocumentsTestEnvironment } from './test-support.ts';

let env: DocumentsTestEnvironment;
beforeAll(async () => {
  env = await startDocumentsEnvironment();
});
afterAll(async () => {
  await env?.close();
});

const REQUEST = `mutation ($input: RequestSalesReportInput!) { requestSalesReport(input: $input) {
  report { id status progress rowCount from to url requestedBy { id } }
  errors { path code }
} }`;
const REPORT = 'query ($id: ID!) { salesReport(id: $id) { id status progress rowCount error url finishedAt } }';
const REPORTS = 'query ($first: Int, $after: String) { salesReports(first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }';

interface Report {
  id: string;
  status: string;
  progress: number;
  rowCount: number;
  error: string | null;
  url: string | null;
  finishedAt: string | null;
}

/** RFC 4180, strictly: what a spreadsheet would read back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += char;
    }
  }
  if (field || row.length) throw new Error('The CSV does not end with CRLF');
  return rows;
}

async function requestReport(input: { from: string; to: string }) {
  const { body } = await env.orders.query<{ requestSalesReport: { report: Report | null; errors: Array<{ path: string[]; code: string }> } }>(REQUEST, { input }, admin);
  expect(body.errors).toBeUndefined();
  return body.data!.requestSalesReport;
}

async function readyReport(id: string): Promise<Report> {
  let report: Report | undefined;
  await waitFor(async () => {
    const { body } = await env.orders.query<{ salesReport: Report }>(REPORT, { id }, admin);
    report = body.data!.salesReport;
    return report.status === 'READY' || report.status === 'FAILED';
  }, 'the report');
  return report!;
}

const cents = (amount: string) => Math.round(Number(amount) * 100);

describe('sales report', () => {
  // Seeded orders from January to March 2026, plus three USD orders placed at the same instant (keyset ties)
  // with a city that needs escaping.
  const FROM = new Date('2026-01-01T00:00:00Z');
  const TO = new Date('2026-04-01T00:00:00Z');
  const TRICKY_CITY = 'Paris, "Rive Gauche"\nsud';
  const USD_PLACED_AT = new Date('2026-02-15T12:00:00Z');
  const usdPrice = seedProduct(3, TEST_PLAN).priceCents;

  beforeAll(async () => {
    for (const quantity of [1, 2, 3]) {
      await env.prisma.order.create({
        data: {
          userId: customer(5).userId,
          status: 'PAID',
          totalCents: usdPrice * quantity,
          currency: 'USD',
          shipName: '=cmd',
          shipLine1: '1 Rue',
          shipCity: TRICKY_CITY,
          shipPostalCode: '75005',
          shipCountry: 'FR',
          placedAt: USD_PLACED_AT,
          items: { create: [{ position: 0, purchasableId: productId(3), quantity, unitPriceCents: usdPrice, currency: 'USD' }] },
        },
      });
    }
  });

  it('lists each sold order line in the range with totals per currency, reaching READY at 100%', async () => {
    const progress: number[] = [];
    const worker = env.workers.jobs.find((job) => job.worker.name === SALES_REPORT_QUEUE)!.worker;
    worker.on('progress', (_job, value) => progress.push(Number(value)));

    const { report: queued, errors } = await requestReport({ from: FROM.toISOString(), to: TO.toISOString() });
    expect(errors).toEqual([]);
    expect(queued).toMatchObject({ status: 'QUEUED', progress: 0, rowCount: 0, url: null, requestedBy: { id: admin.userId } });
    const report = await readyReport(queued!.id);

    const sold = seededOrders.filter((order) => order.placedAt >= FROM && order.placedAt < TO && (order.status === 'PAID' || order.status === 'FULFILLED'));
    const seededLines = sold.flatMap((order) => order.items.map((item) => ({ order, item })));
    expect(sold.length).toBeGreaterThan(3 * TEST_REPORT_BATCH_SIZE);
    expect(report).toMatchObject({ status: 'READY', progress: 100, rowCount: seededLines.length + 3, error: null });
    // Progress was reported batch by batch, never backwards, and ended at 100.
    expect(progress.length).toBeGreaterThan(2);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(progress.at(-1)).toBe(100);

    const response = await fetch(env.hostUrl(report.url!));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="sales-report-2026-01-01-2026-04-01.csv"');
    const [header, ...rows] = parseCsv(await response.text());
    expect(header).toEqual([...CSV_HEADER]);
    const column = (name: (typeof CSV_HEADER)[number]) => CSV_HEADER.indexOf(name);
    const lines = rows.filter((row) => row[0] === 'line');
    const totals = rows.filter((row) => row[0] === 'total');
    expect(lines).toHaveLength(report.rowCount);
    expect(rows).toHaveLength(lines.length + totals.length);

    // Every seeded line once, oldest order first.
    const seededKeys = seededLines.map(({ order, item }) => `${order.id}/${item.purchasableId}`).sort();
    const eurLines = lines.filter((row) => row[column('currency')] === 'EUR');
    expect(eurLines.map((row) => `${row[column('order_id')]}/${row[column('purchasable_id')]}`).sort()).toEqual(seededKeys);
    const placed = lines.map((row) => row[column('placed_at')]!);
    expect([...placed].sort()).toEqual(placed);

    const eurTotal = seededLines.reduce((sum, { item }) => sum + item.unitPriceCents * item.quantity, 0);
    const eurUnits = seededLines.reduce((sum, { item }) => sum + item.quantity, 0);
    expect(totals.map((row) => [row[column('currency')], Number(row[column('quantity')]), cents(row[column('line_total')]!)])).toEqual([
      ['EUR', eurUnits, eurTotal],
      ['USD', 6, 6 * usdPrice],
    ]);
    const usdLines = lines.filter((row) => row[column('currency')] === 'USD');
    expect(usdLines).toHaveLength(3);
    for (const row of usdLines) expect(row[column('ship_city')]).toBe(TRICKY_CITY);
  });

  it('refuses a range that ends before it starts, and creates nothing', async () => {
    const before = await env.prisma.salesReport.count();
    const result = await requestReport({ from: TO.toISOString(), to: FROM.toISOString() });
    expect(result).toEqual({ report: null, errors: [{ path: ['input', 'to'], code: 'INVALID' }] });
    expect(await env.prisma.salesReport.count()).toBe(before);
  });

  it('lists reports newest first, a page at a time', async () => {
    const a = (await requestReport({ from: '2025-07-01T00:00:00Z', to: '2025-08-01T00:00:00Z' })).report!;
    const b = (await requestReport({ from: '2025-08-01T00:00:00Z', to: '2025-09-01T00:00:00Z' })).report!;
    const first = await env.orders.query<{ salesReports: Edges<{ id: string }> }>(REPORTS, { first: 1 }, admin);
    expect(first.body.data!.salesReports.edges.map((edge) => edge.node.id)).toEqual([b.id]);
    const next = await env.orders.query<{ salesReports: Edges<{ id: string }> }>(REPORTS, { first: 1, after: first.body.data!.salesReports.pageInfo.endCursor }, admin);
    expect(next.body.data!.salesReports.edges.map((edge) => edge.node.id)).toEqual([a.id]);
    await Promise.all([readyReport(a.id), readyReport(b.id)]);
  });

  it('is for admins only', async () => {
    const input = { from: FROM.toISOString(), to: TO.toISOString() };
    const before = await env.prisma.salesReport.count();
    const viewer = viewerWithRoles(customer(3).userId, ['CUSTOMER']);
    for (const [query, variables] of [
      [REQUEST, { input }],
      [REPORTS, {}],
      [REPORT, { id: '00000000-0000-4000-8000-000000000000' }],
    ] as const) {
      const asCustomer = await env.orders.query(query, variables, viewer);
      expect(errorCodes(asCustomer)).toEqual(['FORBIDDEN']);
      const anonymous = await env.orders.query(query, variables);
      expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    }
    expect(await env.prisma.salesReport.count()).toBe(before);
  });

  it('answers null for an unknown report and 404 for the CSV of a report not READY', async () => {
    const { body } = await env.orders.query(REPORT, { id: '00000000-0000-4000-8000-000000000000' }, admin);
    expect(body).toEqual({ data: { salesReport: null } });
    // A report whose job never ran (no job added): QUEUED, no url, and its signed file path is not served.
    const queued = await env.prisma.salesReport.create({ data: { requestedBy: admin.userId, from: FROM, to: TO } });
    const { body: shown } = await env.orders.query<{ salesReport: Report }>(REPORT, { id: queued.id }, admin);
    expect(shown.data!.salesReport).toMatchObject({ status: 'QUEUED', url: null });
    const url = signUrl(TEST_SIGNING.secret, TEST_SIGNING.publicUrl, { method: 'GET', path: reportPublicPath(queued.id), expiresAt: new Date(Date.now() + 60_000) });
    expect((await fetch(env.hostUrl(url))).status).toBe(404);
  });
});
