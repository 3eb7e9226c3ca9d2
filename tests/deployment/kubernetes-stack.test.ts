import path from 'node:path';
import { renderKustomization } from '../infrastructure/support/kustomize.ts';
import { INFRASTRUCTURE, MIGRATION_JOB } from '../infrastructure/support/paths.ts';
import { kubernetesPlan } from './support/kubernetes-plan.ts';
import { runPlan, type RunningPlan } from './support/process-plan.ts';
import { buildAsTheImageDoes, Shopper, TRACED_SERVICES, tracedServices } from './support/shopper.ts';

/*
 * The Kubernetes dev overlay proven without a cluster: every Deployment's container and the migration Job, with the
 * commands, environment (ConfigMaps and Secrets included), init containers and readiness probes the rendered
 * manifests declare (support/kubernetes-plan.ts), run as local processes on the compiled build; Services give
 * the names they reach each other by. Then the same shopper as the compose check.
 */

const objects = renderKustomization(path.join(INFRASTRUCTURE, 'overlays', 'dev'));
let stack: RunningPlan;
let shopper: Shopper;

beforeAll(async () => {
  buildAsTheImageDoes();
  stack = await runPlan(kubernetesPlan(objects), { label: 'kubernetes' });
  shopper = new Shopper(stack.urlOf('web'));
}, 420_000);

afterAll(() => stack?.close());

it('runs every Deployment and the migration Job, each ready by its own readiness probe', () => {
  const declared = objects.filter((object) => object.kind === 'Deployment' || object.kind === 'Job').map((object) => object.metadata.name);
  expect([...stack.started].sort()).toEqual([...declared].sort());
  expect(declared).toEqual(expect.arrayContaining([MIGRATION_JOB, 'router', 'web', 'accounts-worker', 'notifications-worker']));
});

it('a new shopper signs up through the shop and gets the welcome e-mail', async () => {
  expect((await shopper.welcomeEmail(stack.mail)).subject).toMatch(/welcome/i);
});

it('on demo data, an order placed through the shop is PAID', async () => {
  // A dev cluster is seeded from a pod of the image with the migration Job's database access (docs/operations.md).
  await stack.runWith(MIGRATION_JOB, ['node', '--import', 'tsx', 'prisma/src/cli.ts', 'seed']);
  expect(await shopper.checkout()).toEqual({ status: 'PAID', payment: { status: 'CAPTURED' } });
});

it('the processes export their traces to the collector the manifests name', async () => {
  expect(await tracedServices(stack.traceServices)).toEqual(TRACED_SERVICES);
});
