import { composeEnvironment, type ComposeFile, type ComposeService } from '../../infrastructure/support/checks.ts';
import type { Plan, PlannedProcess } from './process-plan.ts';

/*
 * docker-compose.yml as a process plan: every service that runs the project's image, with its entrypoint and
 * command, environment, depends_on conditions and healthcheck command; profile services (the seed) on demand.
 * The other services (Postgres, Redis, Mailpit, Jaeger) are the plan's stand-ins.
 */

interface ImageService extends ComposeService {
  restart?: string;
  profiles?: string[];
  ports?: string[];
}

const CONDITIONS = { service_started: 'started', service_healthy: 'healthy', service_completed_successfully: 'completed' } as const;

function after(service: ComposeService): PlannedProcess['after'] {
  const dependsOn = service.depends_on;
  if (!dependsOn) return [];
  if (Array.isArray(dependsOn)) return dependsOn.map((name) => ({ name, condition: 'started' as const }));
  return Object.entries(dependsOn).map(([name, { condition }]) => {
    const mapped = CONDITIONS[condition as keyof typeof CONDITIONS];
    if (!mapped) throw new Error(`depends_on ${name}: unknown condition ${condition}`);
    return { name, condition: mapped };
  });
}

export function composePlan(compose: ComposeFile): Plan {
  const processes: PlannedProcess[] = [];
  const hosts: Plan['hosts'] = new Map();
  for (const [name, definition] of Object.entries(compose.services)) {
    if (definition.build === undefined) continue;
    const service = definition as ImageService;
    const env = composeEnvironment(service);
    const port = Number(env.WORKER_PORT ?? env.PORT) || undefined;
    const test = service.healthcheck?.test;
    const [kind, ...command] = Array.isArray(test) ? test : [];
    processes.push({
      name,
      args: [...(service.entrypoint ?? []), ...(service.command ?? [])],
      env,
      ...(port ? { port } : {}),
      ...(kind === 'CMD' && command.length ? { ready: { command } } : {}),
      after: after(service),
      oneShot: service.restart === 'no',
      onDemand: (service.profiles ?? []).length > 0,
      before: [],
    });
    // On compose's network a service answers by its name on the port it listens on; `ports` publish it on localhost.
    if (port) hosts.set(name, new Map([[port, name]]));
    for (const mapping of service.ports ?? []) {
      const localhost = hosts.get('localhost') ?? new Map<number, string>();
      localhost.set(Number(mapping.split(':')[0]), name);
      hosts.set('localhost', localhost);
    }
  }
  return { processes, hosts, standIns: { postgres: 'postgres', redis: 'redis', smtp: 'mailpit', traces: 'jaeger' } };
}
