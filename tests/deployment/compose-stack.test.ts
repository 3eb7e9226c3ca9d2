import { appServices, type ComposeFile } from '../infrastructure/support/checks.ts';
import { COMPOSE_FILE } from '../infrastructure/support/paths.ts';
import { loadYamlDocument } from '../infrastructure/support/yaml.ts';
import { composePlan } from './support/compose-plan.ts';
import { runPlan, type RunningPlan } from './support/process-plan.ts';
import { buildAsTheImageDoes, Shopper, TRACED_SERVICES, tracedServices } from './support/shopper.ts';

/*
 * docker-compose.yml proven without a Docker engine: its services' own commands, environment, start order and
 * healthchecks (support/compose-plan.ts), run as local processes (support/process-plan.ts) on the JavaScript the
 * image holds. A shopper then goes through the shop's web service: signs up and gets the welcome e-mail, and on the
 * demo data the seed service loads (`docker compose run --rm seed`) places an order that the saga takes to PAID.
 */

const compose = loadYamlDocument(COMPOSE_FILE) as ComposeFile;
let stack: RunningPlan;
let shopper: Shopper;

beforeAll(async () => {
  buildAsTheImageDoes();
  stack = await runPlan(composePlan(compose), { label: 'compose' });
  shopper = new Shopper(stack.urlOf('web'));
}, 420_000);

afterAll(() => stack?.close());

it('starts every service compose runs from the image, each healthy by its own healthcheck', () => {
  const declared = appServices(compose)
    .filter(([, service]) => !(service as { profiles?: string[] }).profiles?.length)
    .map(([name]) => name);
  expect([...stack.started].sort()).toEqual([...declared].sort());
  expect(declared).toEqual(expect.arrayContaining(['migrate', 'router', 'web', 'accounts-worker', 'notifications-worker']));
});

it('a new shopper signs up through the shop and gets the welcome e-mail', async () => {
  expect((await shopper.welcomeEmail(stack.mail)).subject).toMatch(/welcome/i);
});

it('on the seed service’s demo data, an order placed through the shop is PAID', async () => {
  const seed = compose.services.seed!;
  await stack.runWith('seed', [...(seed.entrypoint ?? []), ...(seed.command ?? [])]);
  expect(await shopper.checkout()).toEqual({ status: 'PAID', payment: { status: 'CAPTURED' } });
});

it('the processes export their traces to the collector compose names', async () => {
  expect(await tracedServices(stack.traceServices)).toEqual(TRACED_SERVICES);
});
