import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState, type FormEvent } from 'react';
import { isAdmin, useSession } from '../auth/SessionContext.tsx';
import { CANCEL_REASONS, ErrorMessage, formatDate, Loading, Price, sameOriginUrl, STATUS_LABELS, Unavailable } from '../components/common.tsx';
import { graphql } from '../generated/gql/index.ts';
import type { OrderStatus } from '../generated/gql/graphql.ts';
import { Link, useLocation } from '../router.tsx';

/*
 * The back office, loaded only by admins (its own chunk): orders by status, the product import, the sales
 * report, dead letters. The router enforces the admin scope on every field; this page only hides the links.
 */

const TABS = [
  ['/admin', 'Orders'],
  ['/admin/imports', 'Product import'],
  ['/admin/reports', 'Sales report'],
  ['/admin/dead-letters', 'Dead letters'],
] as const;

export default function AdminPage() {
  const session = useSession();
  const { path } = useLocation();
  if (!isAdmin(session)) return <p>This page is for administrators.</p>;
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Back office</h1>
      <nav aria-label="Back office" className="tabs">
        {TABS.map(([to, label]) => (
          <Link key={to} to={to} aria-current={path === to ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {path === '/admin/imports' ? <ProductImport /> : path === '/admin/reports' ? <SalesReport /> : path === '/admin/dead-letters' ? <DeadLetters /> : <Orders />}
    </section>
  );
}

const AdminOrdersQuery = graphql(`
  query AdminOrders($status: OrderStatus, $after: String) {
    orders(first: 20, status: $status, after: $after) {
      edges {
        cursor
        node {
          id
          number
          status
          cancelReason
          placedAt
          total {
            amount
            currency
          }
          user {
            id
            name
            email
          }
          payment {
            id
            status
            declineReason
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const STATUSES: OrderStatus[] = ['PENDING', 'RESERVED', 'PAID', 'FULFILLED', 'CANCELLED'];

function Orders() {
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const { data, error, loading, fetchMore } = useQuery(AdminOrdersQuery, { variables: { status: status || null }, fetchPolicy: 'cache-and-network' });
  const orders = data?.orders;
  return (
    <>
      <label>
        Status{' '}
        <select value={status} onChange={(event) => setStatus(event.target.value as OrderStatus | '')}>
          <option value="">Any</option>
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {STATUS_LABELS[value]}
            </option>
          ))}
        </select>
      </label>
      <ErrorMessage error={error} />
      {!data && loading ? <Loading /> : null}
      {data && !orders ? <Unavailable what="Orders" /> : null}
      {orders ? (
        <table className="admin">
          <caption className="visually-hidden">Orders</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Customer</th>
              <th scope="col">Status</th>
              <th scope="col">Payment</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link to={`/orders/${node.id}`}>{node.number}</Link>
                </td>
                <td>{formatDate(node.placedAt)}</td>
                <td>{node.user ? `${node.user.name} (${node.user.email ?? '—'})` : '—'}</td>
                <td>
                  {STATUS_LABELS[node.status]}
                  {node.cancelReason ? <span className="muted"> — {CANCEL_REASONS[node.cancelReason]}</span> : null}
                </td>
                <td>
                  {node.payment?.status ?? '—'}
                  {node.payment?.declineReason ? ` (${node.payment.declineReason})` : ''}
                </td>
                <td>
                  <Price money={node.total} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {orders?.pageInfo.hasNextPage ? (
        <button type="button" disabled={loading} onClick={() => void fetchMore({ variables: { after: orders.pageInfo.endCursor } })}>
          More orders
        </button>
      ) : null}
    </>
  );
}

const CreateImportMutation = graphql(`
  mutation CreateProductImport {
    createProductImport {
      productImport {
        id
        status
      }
      uploadUrl
    }
  }
`);

const StartImportMutation = graphql(`
  mutation StartProductImport($id: ID!) {
    startProductImport(id: $id) {
      productImport {
        id
        status
      }
      errors {
        path
        code
        message
      }
    }
  }
`);

const ImportProgressQuery = graphql(`
  query ProductImportProgress($id: ID!) {
    productImport(id: $id) {
      id
      status
      progress
      totalRows
      processedRows
      importedRows
      failedRows
      failureReason
      errors(first: 50) {
        edges {
          node {
            line
            message
          }
        }
      }
    }
  }
`);

const IMPORT_DONE = new Set(['SUCCEEDED', 'FAILED']);

function ProductImport() {
  const [create] = useMutation(CreateImportMutation);
  const [start] = useMutation(StartImportMutation);
  const [importId, setImportId] = useState<string | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const upload = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const file = new FormData(event.currentTarget).get('file');
    if (!(file instanceof File) || file.size === 0) {
      setProblem('Choose a CSV file first.');
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      const created = (await create()).data?.createProductImport;
      if (!created) throw new Error('The import could not be created');
      // The signed URL is the only credential for the upload; it goes through the router's /files/.
      const response = await fetch(sameOriginUrl(created.uploadUrl), { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: file });
      if (!response.ok) {
        const body = (await response.json().catch(() => undefined)) as { errors?: { message: string }[] } | undefined;
        throw new Error(body?.errors?.[0]?.message ?? `The upload failed (${response.status})`);
      }
      const started = (await start({ variables: { id: created.productImport.id } })).data?.startProductImport;
      if (started?.errors.length) throw new Error(started.errors.map((e) => e.message).join(' '));
      setImportId(created.productImport.id);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form className="panel form" onSubmit={(event) => void upload(event)} aria-label="Import products">
        <p className="muted">
          A CSV with the columns sku, name, price (cents), currency, category (slug), weight_grams, and optionally description and shipping_class. Rows are upserted by SKU.
        </p>
        <label htmlFor="import-file">CSV file</label>
        <input id="import-file" name="file" type="file" accept=".csv,text/csv" />
        {problem ? (
          <p className="error" role="alert">
            {problem}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          Upload and import
        </button>
      </form>
      {importId ? <ImportProgress id={importId} /> : null}
    </>
  );
}

function ImportProgress({ id }: { id: string }) {
  const { data, error, stopPolling } = useQuery(ImportProgressQuery, { variables: { id }, pollInterval: 500 });
  const productImport = data?.productImport;
  const done = productImport ? IMPORT_DONE.has(productImport.status) : false;
  useEffect(() => {
    if (done) stopPolling();
  }, [done, stopPolling]);
  if (error && !data) return <ErrorMessage error={error} />;
  if (!productImport) return <Loading />;
  return (
    <div className="panel" aria-live="polite">
      <label htmlFor="import-progress">
        Import {productImport.status.toLowerCase()}: {productImport.progress} %
      </label>
      <progress id="import-progress" max={100} value={productImport.progress} data-testid="import-progress">
        {productImport.progress} %
      </progress>
      <p>
        {productImport.processedRows} of {productImport.totalRows ?? '?'} rows read, {productImport.importedRows} imported, {productImport.failedRows} refused.
      </p>
      {productImport.failureReason ? <p className="error">{productImport.failureReason}</p> : null}
      {productImport.errors.edges.length ? (
        <table className="admin">
          <caption>Refused lines</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {productImport.errors.edges.map(({ node }, i) => (
              <tr key={`${node.line}-${i}`}>
                <td>{node.line}</td>
                <td>{node.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

const RequestReportMutation = graphql(`
  mutation RequestSalesReport($input: RequestSalesReportInput!) {
    requestSalesReport(input: $input) {
      report {
        id
        status
      }
      errors {
        path
        code
        message
      }
    }
  }
`);

const ReportProgressQuery = graphql(`
  query SalesReportProgress($id: ID!) {
    salesReport(id: $id) {
      id
      status
      progress
      rowCount
      error
      url
    }
  }
`);

function SalesReport() {
  const [request, { loading, error }] = useMutation(RequestReportMutation);
  const [reportId, setReportId] = useState<string | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const from = new Date(`${String(form.get('from'))}T00:00:00Z`).toISOString();
    const to = new Date(new Date(`${String(form.get('to'))}T00:00:00Z`).getTime() + 86_400_000).toISOString();
    const payload = (await request({ variables: { input: { from, to } } })).data?.requestSalesReport;
    setProblem(payload?.errors.map((e) => e.message).join(' ') || undefined);
    if (payload?.report) setReportId(payload.report.id);
  };
  return (
    <>
      <form className="panel form" onSubmit={(event) => void submit(event)} aria-label="Sales report">
        <label htmlFor="report-from">From</label>
        <input id="report-from" name="from" type="date" defaultValue={monthAgo} />
        <label htmlFor="report-to">To (inclusive)</label>
        <input id="report-to" name="to" type="date" defaultValue={today} />
        {problem ? (
          <p className="error" role="alert">
            {problem}
          </p>
        ) : null}
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={loading}>
          Make the report
        </button>
      </form>
      {reportId ? <ReportProgress id={reportId} /> : null}
    </>
  );
}

function ReportProgress({ id }: { id: string }) {
  const { data, error, stopPolling } = useQuery(ReportProgressQuery, { variables: { id }, pollInterval: 500 });
  const report = data?.salesReport;
  const done = report?.status === 'READY' || report?.status === 'FAILED';
  useEffect(() => {
    if (done) stopPolling();
  }, [done, stopPolling]);
  if (error && !data) return <ErrorMessage error={error} />;
  if (!report) return <Loading />;
  return (
    <div className="panel" aria-live="polite">
      <label htmlFor="report-progress">
        Report {report.status.toLowerCase()}: {report.progress} %
      </label>
      <progress id="report-progress" max={100} value={report.progress}>
        {report.progress} %
      </progress>
      {report.error ? <p className="error">{report.error}</p> : null}
      {report.url ? (
        <p>
          <a href={sameOriginUrl(report.url)} download>
            Download the report ({report.rowCount} rows, CSV)
          </a>
        </p>
      ) : null}
    </div>
  );
}

const DeadLettersQuery = graphql(`
  query DeadLetters($after: String) {
    deadLetters(first: 20, after: $after) {
      edges {
        cursor
        node {
          id
          queue
          jobName
          failedAt
          attemptsMade
          unrecoverable
          error {
            name
            message
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const RequeueMutation = graphql(`
  mutation RequeueDeadLetter($id: ID!, $queue: String!) {
    requeueDeadLetter(id: $id, queue: $queue) {
      deadLetter {
        id
      }
      errors {
        path
        code
        message
      }
    }
  }
`);

const DiscardMutation = graphql(`
  mutation DiscardDeadLetter($id: ID!, $queue: String!) {
    discardDeadLetter(id: $id, queue: $queue) {
      deadLetter {
        id
      }
      errors {
        path
        code
        message
      }
    }
  }
`);

function DeadLetters() {
  const { data, error, loading, fetchMore } = useQuery(DeadLettersQuery, { fetchPolicy: 'cache-and-network' });
  const [requeue, requeuing] = useMutation(RequeueMutation, { refetchQueries: ['DeadLetters'] });
  const [discard, discarding] = useMutation(DiscardMutation, { refetchQueries: ['DeadLetters'] });
  const [message, setMessage] = useState<string | undefined>();
  const letters = data?.deadLetters;
  const act = async (kind: 'requeue' | 'discard', id: string, queue: string) => {
    const result = kind === 'requeue' ? (await requeue({ variables: { id, queue } })).data?.requeueDeadLetter : (await discard({ variables: { id, queue } })).data?.discardDeadLetter;
    setMessage(result?.errors.length ? result.errors.map((e) => e.message).join(' ') : `${kind === 'requeue' ? 'Requeued' : 'Discarded'} ${id}.`);
  };
  return (
    <>
      <ErrorMessage error={error ?? requeuing.error ?? discarding.error} />
      {message ? <p role="status">{message}</p> : null}
      {!data && loading ? <Loading /> : null}
      {letters && letters.edges.length === 0 ? <p>No dead letters: every job finished or is still being retried.</p> : null}
      {letters?.edges.length ? (
        <table className="admin">
          <caption className="visually-hidden">Dead letters</caption>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Job</th>
              <th scope="col">Failed</th>
              <th scope="col">Error</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {letters.edges.map(({ node }) => (
              <tr key={`${node.queue}/${node.id}`}>
                <td>{node.queue}</td>
                <td>
                  {node.jobName} <span className="muted">{node.id}</span>
                </td>
                <td>
                  {formatDate(node.failedAt)} after {node.attemptsMade} attempt{node.attemptsMade === 1 ? '' : 's'}
                </td>
                <td>
                  {node.error.name}: {node.error.message}
                </td>
                <td>
                  <button type="button" disabled={requeuing.loading} onClick={() => void act('requeue', node.id, node.queue)} aria-label={`Requeue ${node.jobName} ${node.id}`}>
                    Requeue
                  </button>{' '}
                  <button type="button" disabled={discarding.loading} onClick={() => void act('discard', node.id, node.queue)} aria-label={`Discard ${node.jobName} ${node.id}`}>
                    Discard
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {letters?.pageInfo.hasNextPage ? (
        <button type="button" disabled={loading} onClick={() => void fetchMore({ variables: { after: letters.pageInfo.endCursor } })}>
          More dead letters
        </button>
      ) : null}
    </>
  );
}
