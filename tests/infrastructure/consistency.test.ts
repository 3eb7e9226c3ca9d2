import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { envPrefix, listSubgraphs, REPO_ROOT } from '@storefront/config';
import {
  composeVersusKubernetesProblems,
  dockerfileProblems,
  referenceProblems,
  undocumentedVariables,
  variablesUsed,
  workloadProblems,
  appServices,
  networkPolicyProblems,
  composeEnvironment,
  type ComposeFile,
} from './support/checks.ts';
import { applyJsonPatch, podSpecOf, renderKustomization, type KubernetesObject } from './support/kustomize.ts';
import { COMPOSE_FILE, INFRASTRUCTURE, MIGRATION_JOB } from './support/paths.ts';
import { loadYamlDocument } from './support/yaml.ts';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
/** The source scripts/build.ts compiles an entry file from: <workspace>/dist/x.js from <workspace>/src/x.ts. */
const builtFrom = (entry: string) => (entry === 'web/dist-server/server.js' ? 'web/server.ts' : /^(.+)\/dist\/(.+)\.js$/.exec(entry)?.slice(1).join('/src/').concat('.ts'));
const compose = loadYamlDocument(COMPOSE_FILE) as ComposeFile;
const dev = renderKustomization(path.join(INFRASTRUCTURE, 'overlays', 'dev'));
const production = renderKustomization(path.join(INFRASTRUCTURE, 'overlays', 'production'));
const secret = dev.find((object) => object.kind === 'Secret')!;
const named = (objects: KubernetesObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe('deployment files agree with each other', () => {
  it('every Deployment has /ready and /health probes on its port, resources, non-root, a read-only root and an autoscaler', () => {
    expect(workloadProblems(dev)).toEqual([]);
    expect(workloadProblems(production)).toEqual([]);
  });

  it('every ConfigMap and secret key the containers read exists (the dev Secret lists the keys production must provide)', () => {
    expect(referenceProblems(dev, secret)).toEqual([]);
    expect(referenceProblems(production, secret)).toEqual([]);
  });

  it('compose and Kubernetes run the same processes, commands, ports and variables', () => {
    expect(composeVersusKubernetesProblems(compose, production, MIGRATION_JOB)).toEqual([]);
  });

  it('every variable compose or Kubernetes sets is described in .env.example', () => {
    expect(undocumentedVariables(variablesUsed(compose, production), read('.env.example'))).toEqual([]);
  });

  it('every subgraph has a compose service, a Deployment and a routing URL in both; every database is migrated', () => {
    const routerCompose = composeEnvironment(compose.services.router!);
    const routerConfig = named(production, 'ConfigMap', 'storefront-router').data as Record<string, string>;
    const job = podSpecOf(named(production, 'Job', MIGRATION_JOB))!.containers[0]!;
    const migrateCompose = composeEnvironment(compose.services.migrate!);
    const initSql = read('docker/postgres/init.sql');
    const subgraphs = listSubgraphs();
    expect(subgraphs.length).toBeGreaterThanOrEqual(7);
    for (const subgraph of subgraphs) {
      const url = `http://${subgraph.name}:${subgraph.port}/graphql`;
      const key = `SUBGRAPH_${envPrefix(subgraph.name)}_URL`;
      expect([subgraph.name, compose.services[subgraph.name] !== undefined, routerCompose[key], routerConfig[key]]).toEqual([subgraph.name, true, url, url]);
      expect(named(production, 'Deployment', subgraph.name)).toBeDefined();
      if (!existsSync(subgraph.prismaSchemaPath)) continue;
      expect([subgraph.name, job.command?.includes(subgraph.name), `${envPrefix(subgraph.name)}_DATABASE_URL` in migrateCompose]).toEqual([subgraph.name, true, true]);
      expect(initSql).toContain(`CREATE DATABASE storefront_${subgraph.name} OWNER ${subgraph.name};`);
    }
  });

  it('every service with workers (a subgraph package exporting ./workers) runs them under compose and in Kubernetes', () => {
    const withWorkers = listSubgraphs().filter((subgraph) => subgraph.workers);
    expect(withWorkers.map((subgraph) => subgraph.name)).toContain('accounts');
    for (const { name } of withWorkers) {
      const service = compose.services[`${name}-worker`];
      const deployment = named(production, 'Deployment', `${name}-worker`);
      expect([name, service?.command, deployment !== undefined]).toEqual([name, ['node', '--conditions=production', 'workers/dist/main.js', name], true]);
    }
  });

  it('every process compose and Kubernetes start runs JavaScript that npm run build emits from a source that exists', () => {
    const commands = [
      ...appServices(compose).map(([name, service]) => ({ name, args: [...(service.entrypoint ?? []), ...(service.command ?? [])] })),
      ...production.flatMap((object) => {
        const pod = podSpecOf(object);
        return pod ? [...(pod.initContainers ?? []), ...pod.containers].map((container) => ({ name: `${object.metadata.name}/${container.name}`, args: container.command ?? [] })) : [];
      }),
    ].filter(({ args }) => args[0] === 'node' || args.some((arg) => arg.includes('node ')));
    expect(commands.length).toBeGreaterThan(20);
    const problems = commands.flatMap(({ name, args }) => {
      const words = args.flatMap((arg) => arg.split(/\s+/));
      // Only the one-off seed job loads TypeScript: the subgraphs' prisma/seed.ts files are not part of the build.
      if (name === 'seed') return words.includes('tsx') ? [] : [`${name}: expected the seed job to run through tsx`];
      if (words.includes('tsx') || words.some((word) => word.endsWith('.ts'))) return [`${name}: runs TypeScript (${args.join(' ')})`];
      const entry = words.find((word) => word.endsWith('.js'));
      if (!entry) return [`${name}: no entry file in ${args.join(' ')}`];
      const source = builtFrom(entry);
      if (!source || !existsSync(path.join(REPO_ROOT, source))) return [`${name}: ${entry} is built from nothing that exists`];
      if (entry !== 'web/dist-server/server.js' && !words.includes('--conditions=production')) return [`${name}: ${entry} without --conditions=production`];
      return [];
    });
    expect(problems).toEqual([]);
  });

  it('the network policies let only the router reach the subgraphs, and Postgres and Redis only their users', () => {
    expect(networkPolicyProblems(production)).toEqual([]);
  });

  it('the Dockerfile is multi-stage, installs production dependencies only and runs as a non-root user with a HEALTHCHECK', () => {
    expect(dockerfileProblems(read('Dockerfile'))).toEqual([]);
    expect(existsSync(path.join(REPO_ROOT, 'scripts/healthcheck.mjs'))).toBe(true);
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['**/node_modules', '.env', '.git']));
  });
});

describe('the consistency checks catch broken files', () => {
  const router = named(production, 'Deployment', 'router');
  /** The production objects with the router Deployment replaced, and its autoscaler left out when asked. */
  const withRouter = (replacement: KubernetesObject, { autoscaler = true } = {}) =>
    production
      .filter((o) => autoscaler || !(o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'router'))
      .map((o) => (o === router ? replacement : o));

  it('a readiness probe on the wrong path and a missing autoscaler', () => {
    const broken = applyJsonPatch(router, [{ op: 'replace', path: '/spec/template/spec/containers/0/readinessProbe/httpGet/path', value: '/health' }]);
    expect(workloadProblems(withRouter(broken, { autoscaler: false }))).toEqual([
      'Deployment router: readinessProbe must GET /ready',
      'Deployment router: no HorizontalPodAutoscaler scales it',
    ]);
  });

  it('a writable root filesystem and a probe on a port the container does not open', () => {
    const broken = applyJsonPatch(router, [
      { op: 'replace', path: '/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem', value: false },
      { op: 'replace', path: '/spec/template/spec/containers/0/livenessProbe/httpGet/port', value: 'metrics' },
    ]);
    expect(workloadProblems(withRouter(broken))).toEqual([
      'Deployment router container router: readOnlyRootFilesystem must be true',
      'Deployment router: liveness probe port is not a container port',
    ]);
  });

  it('a secret key the Secret lacks', () => {
    const broken = applyJsonPatch(secret, [{ op: 'remove', path: '/stringData/ORDERS_FILE_SIGNING_SECRET' }]);
    expect(referenceProblems(production, broken)).toEqual([
      'Deployment orders container orders: FILE_SIGNING_SECRET reads missing secret key storefront-secrets/ORDERS_FILE_SIGNING_SECRET',
      'Deployment orders-worker container orders-worker: FILE_SIGNING_SECRET reads missing secret key storefront-secrets/ORDERS_FILE_SIGNING_SECRET',
    ]);
  });

  it('a compose port that differs from the Deployment, and a compose service without a Deployment', () => {
    const broken = structuredClone(compose);
    (broken.services.router!.environment as Record<string, string>).PORT = '4999';
    broken.services['extra-worker'] = { build: '.', command: ['node', 'x.ts'] };
    expect(composeVersusKubernetesProblems(broken, production, MIGRATION_JOB)).toEqual([
      'router: port 4999 is not the container port',
      'router: Kubernetes listens on a different port than 4999',
      'compose service extra-worker: no Deployment of that name',
    ]);
  });

  it('a subgraph any pod may reach, and a Redis the shop may reach', () => {
    const policies = production.filter((object) => object.kind === 'NetworkPolicy');
    const withoutSubgraphPolicy = production.filter((object) => object.metadata.name !== 'storefront-subgraphs-from-router' && object.metadata.name !== 'storefront-default-deny-ingress');
    expect(networkPolicyProblems(withoutSubgraphPolicy)).toEqual(expect.arrayContaining(['orders: a pod of no service may connect to it', 'orders: web may connect to it']));
    const redis = policies.find((policy) => policy.metadata.name === 'storefront-redis-clients')!;
    const loose = applyJsonPatch(redis, [{ op: 'replace', path: '/spec/ingress/0/from/0/podSelector', value: { matchLabels: { 'app.kubernetes.io/part-of': 'storefront' } } }]);
    expect(networkPolicyProblems(production.map((object) => (object === redis ? loose : object)))).toEqual(['web: may reach Redis, which it does not use', 'storefront-migrate: may reach Redis, which it does not use']);
  });

  it('a variable missing from .env.example', () => {
    expect(undocumentedVariables(['LOG_LEVEL', 'NEW_SETTING'], '# LOG_LEVEL=info\n')).toEqual(['NEW_SETTING']);
  });

  it('a single-stage Dockerfile running as root', () => {
    expect(dockerfileProblems('FROM node:20\nRUN npm ci\nCMD ["node", "x"]\n')).toEqual([
      'not a multi-stage build',
      'the final stage must end as a numeric non-root USER',
      'the final stage has no HEALTHCHECK',
      'dependencies must be installed with --omit=dev, or pruned with npm prune --omit=dev',
      'the final stage must not install packages',
    ]);
  });
});
