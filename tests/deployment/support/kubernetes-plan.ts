import { podSpecOf, type Container, type KubernetesObject } from '../../infrastructure/support/kustomize.ts';
import type { Plan, PlannedProcess, Step } from './process-plan.ts';

/*
 * Rendered Kubernetes manifests as a process plan: every Deployment's container and the migration Job, each with
 * its command and the environment its pod would get (values, ConfigMaps and Secrets, whole or by key), its init
 * containers run first, and its readiness probe's path as its check. Services give the network's names: a
 * Service's port leads to the port its selected pods listen on (`kubectl port-forward` puts it on localhost).
 * Postgres, Redis, the mail relay and the trace collector are outside the manifests: the plan's stand-ins.
 */

function secretData(object: KubernetesObject): Record<string, string> {
  const { stringData, data } = object as unknown as { stringData?: Record<string, string>; data?: Record<string, string> };
  return { ...Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')])), ...stringData };
}

function environmentOf(container: Container, objects: readonly KubernetesObject[], where: string): Record<string, string> {
  const source = (kind: 'ConfigMap' | 'Secret', name: string) => {
    const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
    if (!object) throw new Error(`${where}: its ${kind} ${name} is not in the manifests`);
    return kind === 'Secret' ? secretData(object) : ((object as unknown as { data?: Record<string, string> }).data ?? {});
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, source('ConfigMap', from.configMapRef.name));
    if (from.secretRef) Object.assign(env, source('Secret', from.secretRef.name));
  }
  for (const variable of container.env ?? []) {
    const reference = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (reference) {
      const value = source(variable.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap', reference.name)[reference.key];
      if (value === undefined) throw new Error(`${where}: ${variable.name} refers to ${reference.name}.${reference.key}, which does not exist`);
      env[variable.name] = value;
    }
  }
  return env;
}

export function kubernetesPlan(objects: readonly KubernetesObject[]): Plan {
  const processes: PlannedProcess[] = [];
  const containerPorts = new Map<string, Container['ports']>();
  for (const workload of objects.filter((object) => object.kind === 'Deployment' || object.kind === 'Job')) {
    const pod = podSpecOf(workload);
    const container = pod?.containers[0];
    if (!pod || !container) continue;
    const name = workload.metadata.name;
    const where = `${workload.kind} ${name}`;
    const env = environmentOf(container, objects, where);
    const port = Number(env.WORKER_PORT ?? env.PORT) || undefined;
    containerPorts.set(name, container.ports);
    const path = container.readinessProbe?.httpGet?.path;
    processes.push({
      name,
      args: container.command ?? [],
      env,
      ...(port ? { port } : {}),
      ...(path ? { ready: { httpPath: path } } : {}),
      after: [],
      oneShot: workload.kind === 'Job',
      onDemand: false,
      before: (pod.initContainers ?? []).map((init): Step => ({ args: init.command ?? [], env: environmentOf(init, objects, `${where} init ${init.name}`) })),
    });
  }
  const hosts: Plan['hosts'] = new Map();
  const localhost = new Map<number, string>();
  for (const service of objects.filter((object) => object.kind === 'Service')) {
    const spec = service.spec as { selector?: Record<string, string>; ports: Array<{ port: number; targetPort?: number | string }> };
    const target = objects.find((object) => {
      if (object.kind !== 'Deployment') return false;
      const labels = (object.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata?.labels ?? {};
      return Object.entries(spec.selector ?? {}).every(([key, value]) => labels[key] === value);
    });
    if (!target) continue;
    const ports = new Map<number, string>();
    for (const { port, targetPort } of spec.ports) {
      const listens = typeof targetPort === 'string' ? containerPorts.get(target.metadata.name)?.find((candidate) => candidate.name === targetPort)?.containerPort : (targetPort ?? port);
      const process_ = processes.find((candidate) => candidate.name === target.metadata.name);
      if (listens !== undefined && process_?.port === listens) {
        ports.set(port, target.metadata.name);
        localhost.set(port, target.metadata.name);
      }
    }
    hosts.set(service.metadata.name, ports);
  }
  hosts.set('localhost', localhost);
  return { processes, hosts, standIns: { postgres: 'postgres', redis: 'redis', smtp: 'mailpit', traces: 'jaeger-collector' } };
}
