import { podSpecOf, type Container, type KubernetesObject, type PodSpec, type Probe } from './kustomize.ts';

/*
 * Consistency between the deployment files: each check returns the problems it found (empty when consistent), so
 * the tests can show every problem at once and can feed each check a broken input to prove it fails.
 */

export interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }> | string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** The compose services that run this repository's image (the rest are Postgres, Redis, Mailpit, Jaeger). */
export function appServices(compose: ComposeFile): [string, ComposeService][] {
  return Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
}

export function composeEnvironment(service: ComposeService): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)] as const)
    : Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value ?? '')] as const);
  return Object.fromEntries(entries);
}

const byKind = (objects: readonly KubernetesObject[], kind: string) => objects.filter((object) => object.kind === kind);
const find = (objects: readonly KubernetesObject[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);

/** The variables a container gets: its own env plus every key of the ConfigMaps it takes whole (envFrom). */
export function containerEnvironment(container: Container, objects: readonly KubernetesObject[]): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    const configMap = source.configMapRef && find(objects, 'ConfigMap', source.configMapRef.name);
    for (const [name, value] of Object.entries((configMap?.data as Record<string, string> | undefined) ?? {})) env.set(name, value);
  }
  for (const variable of container.env ?? []) env.set(variable.name, variable.value);
  return env;
}

function mainContainer(object: KubernetesObject): Container | undefined {
  return podSpecOf(object)?.containers[0];
}

function probePortMatches(container: Container, probe: Probe | undefined): boolean {
  const port = probe?.httpGet?.port;
  return (container.ports ?? []).some((p) => p.name === port || p.containerPort === port);
}

/** A connection pooler (PgBouncer): labelled `app.kubernetes.io/component: pooler`. */
export function isPooler(workload: KubernetesObject): boolean {
  return workload.metadata.labels?.['app.kubernetes.io/component'] === 'pooler';
}

/**
 * A pooler speaks no HTTP, so its probes open its port; and it runs a fixed number of replicas with no
 * autoscaler, since each replica opens its own server connections and Postgres' max_connections must cover them all.
 */
function poolerProblems(workload: KubernetesObject, container: Container, objects: readonly KubernetesObject[]): string[] {
  const id = `${workload.kind} ${workload.metadata.name}`;
  const problems: string[] = [];
  const ports = (container.ports ?? []).flatMap((port) => [port.name, port.containerPort]);
  for (const [kind, probe] of [['readiness', container.readinessProbe], ['liveness', container.livenessProbe]] as const) {
    const port = probe?.tcpSocket?.port;
    if (port === undefined || !ports.includes(port)) problems.push(`${id}: ${kind} probe must open a container port (tcpSocket)`);
  }
  const replicas = (workload.spec as { replicas?: number }).replicas;
  if (replicas === undefined || replicas < 2) problems.push(`${id}: a pooler needs a fixed count of at least 2 replicas`);
  const scaled = byKind(objects, 'HorizontalPodAutoscaler').some((hpa) => (hpa.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === workload.metadata.name);
  if (scaled) problems.push(`${id}: a pooler must not be autoscaled (each replica adds server connections)`);
  return problems;
}

/** Probes, resources, non-root, read-only root filesystem, an autoscaler per Deployment; Services reach their pods. */
export function workloadProblems(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const workload of [...byKind(objects, 'Deployment'), ...byKind(objects, 'Job')]) {
    const id = `${workload.kind} ${workload.metadata.name}`;
    const pod = podSpecOf(workload) as PodSpec;
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${id}: pod securityContext.runAsNonRoot must be true`);
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      const where = `${id} container ${container.name}`;
      if (!container.resources?.requests?.cpu || !container.resources.requests.memory) problems.push(`${where}: needs cpu and memory requests`);
      if (!container.resources?.limits?.memory) problems.push(`${where}: needs a memory limit`);
      if (container.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
      if (container.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
    }
    if (workload.kind !== 'Deployment') continue;
    const container = pod.containers[0]!;
    if (isPooler(workload)) {
      problems.push(...poolerProblems(workload, container, objects));
      continue;
    }
    if (container.readinessProbe?.httpGet?.path !== '/ready') problems.push(`${id}: readinessProbe must GET /ready`);
    if (container.livenessProbe?.httpGet?.path !== '/health') problems.push(`${id}: livenessProbe must GET /health`);
    for (const [kind, probe] of [['readiness', container.readinessProbe], ['liveness', container.livenessProbe], ['startup', container.startupProbe]] as const) {
      if (probe && !probePortMatches(container, probe)) problems.push(`${id}: ${kind} probe port is not a container port`);
    }
    const autoscaler = byKind(objects, 'HorizontalPodAutoscaler').find((hpa) => {
      const ref = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      return ref.kind === 'Deployment' && ref.name === workload.metadata.name;
    });
    if (!autoscaler) problems.push(`${id}: no HorizontalPodAutoscaler scales it`);
  }
  for (const service of byKind(objects, 'Service')) {
    const spec = service.spec as { selector?: Record<string, string>; ports: { port: number; targetPort?: number | string }[] };
    const pods = byKind(objects, 'Deployment').filter((deployment) => {
      const labels = (deployment.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata?.labels ?? {};
      return Object.entries(spec.selector ?? {}).every(([key, value]) => labels[key] === value);
    });
    if (pods.length !== 1) problems.push(`Service ${service.metadata.name}: selects ${pods.length} Deployments, expected 1`);
    for (const port of spec.ports) {
      const target = port.targetPort ?? port.port;
      if (pods[0] && !probePortMatches(mainContainer(pods[0])!, { httpGet: { port: target } })) {
        problems.push(`Service ${service.metadata.name}: targetPort ${target} is not a container port`);
      }
    }
  }
  return problems;
}

/** Every ConfigMap a container takes exists; every secret key it reads exists in `secret`. */
export function referenceProblems(objects: readonly KubernetesObject[], secret: KubernetesObject): string[] {
  const secretKeys = new Set([...Object.keys((secret.stringData as object | undefined) ?? {}), ...Object.keys((secret.data as object | undefined) ?? {})]);
  const problems: string[] = [];
  for (const workload of objects) {
    const pod = podSpecOf(workload);
    for (const container of pod ? [...(pod.initContainers ?? []), ...pod.containers] : []) {
      const where = `${workload.kind} ${workload.metadata.name} container ${container.name}`;
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef && !find(objects, 'ConfigMap', source.configMapRef.name)) problems.push(`${where}: no ConfigMap ${source.configMapRef.name}`);
        if (source.secretRef) problems.push(`${where}: takes a whole Secret; name the keys it needs`);
      }
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref && (ref.name !== secret.metadata.name || !secretKeys.has(ref.key))) problems.push(`${where}: ${variable.name} reads missing secret key ${ref.name}/${ref.key}`);
      }
    }
  }
  return problems;
}

/**
 * Compose and Kubernetes describe the same processes: each app service has a Deployment of the same name (the
 * migrate service: the migration Job; the seed profile is compose-only) with the same command, the same port
 * (PORT or WORKER_PORT) as container port, the same OTEL_SERVICE_NAME, and at least the variables compose sets.
 */
export function composeVersusKubernetesProblems(compose: ComposeFile, objects: readonly KubernetesObject[], migrationJob: string): string[] {
  const problems: string[] = [];
  const services = appServices(compose).filter(([name]) => name !== 'seed');
  for (const [name, service] of services) {
    const workload = name === 'migrate' ? find(objects, 'Job', migrationJob) : find(objects, 'Deployment', name);
    if (!workload) {
      problems.push(`compose service ${name}: no ${name === 'migrate' ? `Job ${migrationJob}` : 'Deployment'} of that name`);
      continue;
    }
    const container = mainContainer(workload)!;
    const composeCommand = JSON.stringify(service.command ?? []);
    // The Job may name the subgraphs it migrates explicitly; compose's `deploy` means all of them.
    const k8sCommand = JSON.stringify(name === 'migrate' ? container.command?.slice(0, service.command?.length) : container.command);
    if (composeCommand !== k8sCommand) problems.push(`${name}: command differs (compose ${composeCommand}, Kubernetes ${k8sCommand})`);
    const composeEnv = composeEnvironment(service);
    const k8sEnv = containerEnvironment(container, objects);
    for (const variable of Object.keys(composeEnv)) {
      if (!k8sEnv.has(variable)) problems.push(`${name}: Kubernetes does not set ${variable}`);
    }
    if (composeEnv.OTEL_SERVICE_NAME !== k8sEnv.get('OTEL_SERVICE_NAME')) problems.push(`${name}: OTEL_SERVICE_NAME differs`);
    const port = composeEnv.WORKER_PORT ?? composeEnv.PORT;
    if (port !== undefined && !(container.ports ?? []).some((p) => p.containerPort === Number(port))) problems.push(`${name}: port ${port} is not the container port`);
    if (port !== undefined && (k8sEnv.get('WORKER_PORT') ?? k8sEnv.get('PORT')) !== port) problems.push(`${name}: Kubernetes listens on a different port than ${port}`);
  }
  // A Deployment of another image (the pooler) matches a compose service of that image by name.
  const composeNames = new Set(Object.keys(compose.services).filter((name) => name !== 'seed'));
  for (const deployment of byKind(objects, 'Deployment')) {
    if (!composeNames.has(deployment.metadata.name)) problems.push(`Deployment ${deployment.metadata.name}: no compose service of that name`);
  }
  return problems;
}

/** Names that .env.example documents: `NAME=value` or commented `# NAME=value`. */
export function documentedVariables(envExample: string): Set<string> {
  return new Set([...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
}

export function undocumentedVariables(used: Iterable<string>, envExample: string): string[] {
  const documented = documentedVariables(envExample);
  return [...new Set(used)].filter((name) => !documented.has(name)).sort();
}

/** Every variable compose sets and every variable a Kubernetes container gets (env and whole ConfigMaps). */
export function variablesUsed(compose: ComposeFile, objects: readonly KubernetesObject[]): Set<string> {
  const names = new Set<string>();
  for (const [, service] of appServices(compose)) for (const name of Object.keys(composeEnvironment(service))) names.add(name);
  for (const workload of objects) {
    const pod = podSpecOf(workload);
    for (const container of pod ? [...(pod.initContainers ?? []), ...pod.containers] : []) {
      for (const name of containerEnvironment(container, objects).keys()) names.add(name);
    }
  }
  return names;
}

/** A Dockerfile's instructions, one per logical line (continuations joined, comments dropped). */
export function dockerfileInstructions(text: string): { instruction: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [instruction = '', ...rest] = line.split(/\s+/);
      return { instruction: instruction.toUpperCase(), args: rest.join(' ') };
    });
}

/** Multi-stage, production dependencies only, a non-root numeric user and a HEALTHCHECK in the final stage. */
export function dockerfileProblems(text: string): string[] {
  const instructions = dockerfileInstructions(text);
  const stages = instructions.filter((i) => i.instruction === 'FROM');
  const problems: string[] = [];
  if (stages.length < 2) problems.push('not a multi-stage build');
  const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));
  const user = finalStage.filter((i) => i.instruction === 'USER').at(-1)?.args;
  if (!user || !/^[1-9][0-9]*(:[0-9]+)?$/.test(user)) problems.push('the final stage must end as a numeric non-root USER');
  if (!finalStage.some((i) => i.instruction === 'HEALTHCHECK')) problems.push('the final stage has no HEALTHCHECK');
  const installs = instructions.filter((i) => i.instruction === 'RUN' && /\bnpm (ci|install)\b/.test(i.args));
  // A stage may install the development dependencies to build, as long as it prunes them before anything copies it.
  const stageOf = (instruction: (typeof instructions)[number]) => stages.filter((stage) => instructions.indexOf(stage) <= instructions.indexOf(instruction)).at(-1);
  const pruned = (install: (typeof instructions)[number]) =>
    instructions.some((i) => i.instruction === 'RUN' && stageOf(i) === stageOf(install) && instructions.indexOf(i) >= instructions.indexOf(install) && /\bnpm prune --omit=dev\b/.test(i.args));
  if (!installs.length || installs.some((i) => !i.args.includes('--omit=dev') && !pruned(i))) problems.push('dependencies must be installed with --omit=dev, or pruned with npm prune --omit=dev');
  if (finalStage.some((i) => i.instruction === 'RUN' && /\bnpm (ci|install)\b/.test(i.args))) problems.push('the final stage must not install packages');
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Network policies

type Labels = Record<string, string>;
interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}
interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: Array<{ from?: Array<{ podSelector?: LabelSelector; namespaceSelector?: LabelSelector; ipBlock?: unknown }>; ports?: Array<{ port?: number | string }> }>;
}

function selects(selector: LabelSelector, labels: Labels): boolean {
  const expressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === 'In') return labels[key] !== undefined && values.includes(labels[key]);
    if (operator === 'NotIn') return labels[key] === undefined || !values.includes(labels[key]);
    if (operator === 'Exists') return labels[key] !== undefined;
    if (operator === 'DoesNotExist') return labels[key] === undefined;
    throw new Error(`selector operator ${operator} is not understood here`);
  });
  return expressions && Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/**
 * Whether a pod labelled `source` (in the same namespace) may connect to one labelled `target`, as the
 * NetworkPolicy rules of `objects` say: any ingress is allowed to a pod no policy selects; otherwise a rule of
 * a policy that selects it must let the source in.
 */
export function mayConnect(objects: readonly KubernetesObject[], source: Labels, target: Labels): boolean {
  const policies = byKind(objects, 'NetworkPolicy')
    .map((policy) => policy.spec as PolicySpec)
    .filter((spec) => (spec.policyTypes ?? ['Ingress']).includes('Ingress') && selects(spec.podSelector, target));
  if (policies.length === 0) return true;
  return policies.some((spec) =>
    (spec.ingress ?? []).some((rule) => rule.from === undefined || rule.from.some((peer) => peer.podSelector !== undefined && peer.namespaceSelector === undefined && selects(peer.podSelector, source))),
  );
}

function podLabels(object: KubernetesObject): Labels {
  return (object.spec as { template: { metadata?: { labels?: Labels } } }).template.metadata?.labels ?? {};
}

/**
 * The policies' promises, checked against the workloads: every pod is under a default deny; only the router
 * reaches the subgraphs (every Deployment a router SUBGRAPH_*_URL names); Postgres only from the pods given a
 * database URL, and Redis only from the Deployments given a REDIS_URL other than the shop.
 */
export function networkPolicyProblems(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  const workloads = [...byKind(objects, 'Deployment'), ...byKind(objects, 'Job')];
  const pooler = workloads.find(isPooler);
  const stranger: Labels = { 'app.kubernetes.io/name': 'stranger' };
  const router = workloads.find((workload) => workload.metadata.name === 'router');
  if (!router) return ['no router Deployment'];
  const routerEnv = containerEnvironment(podSpecOf(router)!.containers[0]!, objects);
  const subgraphHosts = new Set([...routerEnv].filter(([name]) => /^SUBGRAPH_\w+_URL$/.test(name)).map(([, url]) => (url ? new URL(url).hostname : '')));
  for (const workload of workloads) {
    const labels = podLabels(workload);
    const name = workload.metadata.name;
    const env = containerEnvironment(podSpecOf(workload)!.containers[0]!, objects);
    if (mayConnect(objects, stranger, labels) && !['router', 'web'].includes(name)) problems.push(`${name}: a pod of no service may connect to it`);
    if (subgraphHosts.has(name)) {
      for (const other of workloads) {
        const allowed = mayConnect(objects, podLabels(other), labels);
        if (allowed !== (other === router)) problems.push(`${name}: ${other.metadata.name} ${allowed ? 'may' : 'may not'} connect to it`);
      }
    }
    // DATABASE_URL and <NAME>_DATABASE_URL come from the Secret, which only an overlay supplies: the names say it.
    const usesPostgres = isPooler(workload) || [...env.keys()].some((variable) => /(^|_)DATABASE_URL$/.test(variable));
    if (pooler) {
      // A pooled URL is a Secret key named <NAME>_POOLED_DATABASE_URL: its pod reaches the pooler, and no other does.
      const usesPooler = (podSpecOf(workload)!.containers[0]!.env ?? []).some((variable) => variable.valueFrom?.secretKeyRef?.key.endsWith('_POOLED_DATABASE_URL'));
      if (mayConnect(objects, labels, podLabels(pooler)) !== usesPooler) problems.push(`${name}: ${usesPooler ? 'may not reach the pooler, which it uses' : 'may reach the pooler, which it does not use'}`);
    }
    if (mayConnect(objects, labels, { 'app.kubernetes.io/name': 'postgres' }) !== usesPostgres) problems.push(`${name}: ${usesPostgres ? 'may not reach Postgres, which it uses' : 'may reach Postgres, which it does not use'}`);
    const usesRedis = env.has('REDIS_URL') && workload.kind === 'Deployment' && name !== 'web';
    if (mayConnect(objects, labels, { 'app.kubernetes.io/name': 'redis' }) !== usesRedis) problems.push(`${name}: ${usesRedis ? 'may not reach Redis, which it uses' : 'may reach Redis, which it does not use'}`);
  }
  for (const store of ['postgres', 'redis']) {
    if (mayConnect(objects, stranger, { 'app.kubernetes.io/name': store })) problems.push(`${store}: a pod of no service may connect to it`);
  }
  if (pooler && mayConnect(objects, stranger, podLabels(pooler))) problems.push(`${pooler.metadata.name}: a pod of no service may connect to it`);
  return problems;
}
