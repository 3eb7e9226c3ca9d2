import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeEnvironment, composeVersusKubernetesProblems, networkPolicyProblems, referenceProblems, undocumentedVariables, variablesUsed, workloadProblems, type ComposeFile } from './support/checks.ts';
import { applyJsonPatch, podSpecOf, renderKustomization, type KubernetesObject } from './support/kustomize.ts';
import { COMPOSE_FILE, INFRASTRUCTURE, MIGRATION_JOB } from './support/paths.ts';
import { composeProblems, kubernetesProblems } from './support/validate.ts';
import { isRecord, loadYamlDocument } from './support/yaml.ts';

/*
 * PgBouncer as an opt-in (docs/operations.md, "Postgres behind a pooler"): docker-compose.pgbouncer.yml on top of
 * docker-compose.yml, and the production-pgbouncer overlay on top of production. Checked offline like the rest of
 * infrastructure/: both valid, both the same processes, the pooler in transaction mode with the settings Prisma's
 * driver needs, every subgraph and worker through it, and what needs a session (migrations, LISTEN) direct.
 */

const ROOT = path.dirname(COMPOSE_FILE);
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const OVERRIDE_FILE = path.join(ROOT, 'docker-compose.pgbouncer.yml');
const base = loadYamlDocument(COMPOSE_FILE) as ComposeFile;
const override = loadYamlDocument(OVERRIDE_FILE) as ComposeFile;
const pooled = renderKustomization(path.join(INFRASTRUCTURE, 'overlays', 'production-pgbouncer'));
const dev = renderKustomization(path.join(INFRASTRUCTURE, 'overlays', 'dev'));
const devSecret = dev.find((object) => object.kind === 'Secret')!;
const ini = read('docker/pgbouncer/pgbouncer.ini');
const named = (objects: KubernetesObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

/** `docker compose -f docker-compose.yml -f docker-compose.pgbouncer.yml`: mappings merge key by key, the rest is replaced. */
function mergeCompose(into: unknown, from: unknown): unknown {
  if (!isRecord(into) || !isRecord(from)) return structuredClone(from);
  const merged: Record<string, unknown> = { ...into };
  for (const [key, value] of Object.entries(from)) merged[key] = key in into ? mergeCompose(into[key], value) : structuredClone(value);
  return merged;
}
const combined = mergeCompose(base, override) as ComposeFile;

/** The services with a database of their own: those whose subgraph is given a DATABASE_URL in docker-compose.yml. */
const services = Object.entries(base.services)
  .filter(([name, service]) => !name.endsWith('-worker') && composeEnvironment(service).DATABASE_URL)
  .map(([name]) => name);
const upper = (name: string) => name.toUpperCase().replace(/-/g, '_');
const hostOf = (url: string | undefined) => (url ? `${new URL(url).hostname}:${new URL(url).port}` : 'none');
const secretKeyOf = (workload: KubernetesObject | undefined, variable: string) =>
  podSpecOf(workload!)?.containers[0]?.env?.find((entry) => entry.name === variable)?.valueFrom?.secretKeyRef?.key;

/** Settings in the [pgbouncer] section. */
function iniSettings(text: string): Record<string, string> {
  const section = text.split(/^\[pgbouncer\]$/m)[1] ?? '';
  return Object.fromEntries(
    section
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith(';') && line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim()]),
  );
}

describe('the PgBouncer option (docker-compose.pgbouncer.yml, overlays/production-pgbouncer)', () => {
  it('compose with the override file validates, and the overlay renders and validates against the Kubernetes schemas', () => {
    expect(composeProblems(override)).toEqual([]);
    expect(composeProblems(combined)).toEqual([]);
    expect(pooled.flatMap(kubernetesProblems)).toEqual([]);
    expect(new Set(pooled.map((object) => object.metadata.namespace))).toEqual(new Set(['storefront']));
    expect(services).toHaveLength(7);
  });

  it('pools in transaction mode with the startup parameters node-postgres sends ignored, the same file in compose and Kubernetes', () => {
    const settings = iniSettings(ini);
    expect(settings.pool_mode).toBe('transaction');
    expect(settings.ignore_startup_parameters?.split(',').map((name) => name.trim())).toEqual(expect.arrayContaining(['extra_float_digits', 'options']));
    expect(settings.listen_port).toBe('6432');
    const configMap = named(pooled, 'ConfigMap', 'storefront-pgbouncer');
    expect((configMap?.data as Record<string, string> | undefined)?.['pgbouncer.ini']).toBe(ini);
    // Every service role can log in through it with its own password, as docker/postgres/init.sql sets them.
    const users = new Map([...read('docker/pgbouncer/userlist.txt').matchAll(/^"([^"]+)" "([^"]*)"$/gm)].map((match) => [match[1], match[2]]));
    const roles = new Map([...read('docker/postgres/init.sql').matchAll(/CREATE ROLE (\w+) LOGIN PASSWORD '([^']*)'/g)].map((match) => [match[1], match[2]]));
    expect(users).toEqual(roles);
  });

  it('every subgraph and worker reaches its database through the pooler; migrations and the relays LISTEN go direct', () => {
    const problems: string[] = [];
    for (const name of services) {
      const subgraph = composeEnvironment(combined.services[name]!);
      const worker = composeEnvironment(combined.services[`${name}-worker`]!);
      if (hostOf(subgraph.DATABASE_URL) !== 'pgbouncer:6432') problems.push(`compose ${name}: DATABASE_URL to ${hostOf(subgraph.DATABASE_URL)}`);
      if (hostOf(worker.DATABASE_URL) !== 'pgbouncer:6432') problems.push(`compose ${name}-worker: DATABASE_URL to ${hostOf(worker.DATABASE_URL)}`);
      if (hostOf(worker.OUTBOX_LISTEN_URL) !== 'postgres:5432') problems.push(`compose ${name}-worker: OUTBOX_LISTEN_URL to ${hostOf(worker.OUTBOX_LISTEN_URL)}`);
      // Same database and role as before, only the address differs.
      const direct = composeEnvironment(base.services[name]!).DATABASE_URL ?? '';
      if (subgraph.DATABASE_URL?.replace('pgbouncer:6432', 'postgres:5432') !== direct) problems.push(`compose ${name}: the pooled URL names another database or role than ${direct}`);
      if (!(combined.services[name]?.depends_on as Record<string, unknown> | undefined)?.pgbouncer) problems.push(`compose ${name}: does not wait for pgbouncer`);

      const key = `${upper(name)}_POOLED_DATABASE_URL`;
      if (secretKeyOf(named(pooled, 'Deployment', name), 'DATABASE_URL') !== key) problems.push(`Kubernetes ${name}: DATABASE_URL not from ${key}`);
      const workerDeployment = named(pooled, 'Deployment', `${name}-worker`);
      if (secretKeyOf(workerDeployment, 'DATABASE_URL') !== key) problems.push(`Kubernetes ${name}-worker: DATABASE_URL not from ${key}`);
      if (secretKeyOf(workerDeployment, 'OUTBOX_LISTEN_URL') !== `${upper(name)}_DATABASE_URL`) problems.push(`Kubernetes ${name}-worker: OUTBOX_LISTEN_URL not the direct URL`);
    }
    for (const [name, value] of Object.entries(composeEnvironment(combined.services.migrate!))) {
      if (name.endsWith('_DATABASE_URL') && hostOf(value) !== 'postgres:5432') problems.push(`compose migrate: ${name} to ${hostOf(value)} (migrations hold an advisory lock: direct only)`);
    }
    const job = podSpecOf(named(pooled, 'Job', MIGRATION_JOB)!)!.containers[0]!;
    for (const variable of job.env ?? []) if (variable.valueFrom?.secretKeyRef?.key.includes('POOLED')) problems.push(`Kubernetes migration Job: ${variable.name} through the pooler`);
    expect(problems).toEqual([]);
  });

  it('compose and Kubernetes agree with the option on, and every setting, secret key, probe and network policy holds', () => {
    expect(composeVersusKubernetesProblems(combined, pooled, MIGRATION_JOB)).toEqual([]);
    expect(undocumentedVariables(variablesUsed(combined, pooled), read('.env.example'))).toEqual([]);
    expect(workloadProblems(pooled)).toEqual([]);
    expect(networkPolicyProblems(pooled)).toEqual([]);
    // The Secret gains one pooled URL per service when the option is taken (the overlay's header says so).
    const withPooledKeys = applyJsonPatch(
      devSecret,
      services.map((name) => ({ op: 'add', path: `/stringData/${upper(name)}_POOLED_DATABASE_URL`, value: `postgres://${name}:${name}@pgbouncer:6432/storefront_${name}` })),
    );
    expect(referenceProblems(pooled, withPooledKeys)).toEqual([]);
    expect(referenceProblems(pooled, devSecret)).toHaveLength(services.length * 2);
  });

  it('the checks catch an autoscaled pooler with HTTP probes, and a worker the pooler policy leaves out', () => {
    const deployment = named(pooled, 'Deployment', 'pgbouncer')!;
    const broken = applyJsonPatch(deployment, [
      { op: 'remove', path: '/spec/replicas' },
      { op: 'replace', path: '/spec/template/spec/containers/0/readinessProbe', value: { httpGet: { path: '/ready', port: 'postgres' } } },
    ]);
    const autoscaler = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'pgbouncer' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'pgbouncer' } } };
    expect(workloadProblems([...pooled.map((object) => (object === deployment ? broken : object)), autoscaler])).toEqual([
      'Deployment pgbouncer: readiness probe must open a container port (tcpSocket)',
      'Deployment pgbouncer: a pooler needs a fixed count of at least 2 replicas',
      'Deployment pgbouncer: a pooler must not be autoscaled (each replica adds server connections)',
    ]);
    const policy = named(pooled, 'NetworkPolicy', 'storefront-pgbouncer-clients')!;
    const values = (policy.spec as { ingress: Array<{ from: Array<{ podSelector: { matchExpressions: Array<{ values: string[] }> } }> }> }).ingress[0]!.from[0]!.podSelector.matchExpressions[0]!.values;
    const narrowed = applyJsonPatch(policy, [{ op: 'remove', path: `/spec/ingress/0/from/0/podSelector/matchExpressions/0/values/${values.indexOf('orders-worker')}` }]);
    expect(networkPolicyProblems(pooled.map((object) => (object === policy ? narrowed : object)))).toEqual(['orders-worker: may not reach the pooler, which it uses']);
  });
});
