/*
 * A worker process: `tsx workers/src/main.ts <service>` runs one service's outbox relay, event consumers and
 * heavy jobs (the production shape: one Deployment per service, scaled by replicas); `all` (or no argument)
 * runs every service's in one process for local development on Postgres. /health, /ready and /metrics are on
 * WORKER_PORT. SIGTERM finishes the jobs in progress before exiting.
 */
import { z } from 'zod';
import { envLogLevel, envNodeEnv, envPort, loadConfig } from '@storefront/config';
import { runMain, startOpsServer } from '@storefront/http-host';
import { createLogger, createMetricsRegistry, defaultLogFormat, startTelemetry } from '@storefront/telemetry';
import { queueConnectionFromEnv } from '@storefront/events';
import { databaseTargetFor, type DatabaseTarget } from '@storefront/prisma-tools';
import { type RunningService, startService } from './service-process.ts';
import { WORKER_SERVICES } from './services.ts';

const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const all = requested.length === 0 || requested.includes('all');
const unknown = requested.filter((name) => name !== 'all' && !WORKER_SERVICES.some((service) => service.name === name));
if (unknown.length) {
  process.stderr.write(`workers: unknown service(s) ${unknown.join(', ')}; choose from ${WORKER_SERVICES.map((s) => s.name).join(', ')} or all\n`);
  process.exit(2);
}
const services = all ? WORKER_SERVICES : WORKER_SERVICES.filter((service) => requested.includes(service.name));
const label = services.length === 1 && services[0] ? `${services[0].name}-worker` : 'workers';
startTelemetry(label);

runMain(label, async () => {
  const config = loadConfig(
    label,
    z.object({
      NODE_ENV: envNodeEnv,
      LOG_LEVEL: envLogLevel,
      LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
      WORKER_PORT: envPort(services.length === 1 && services[0] ? services[0].port : 4100),
      DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgres:// URL' }).optional(),
      DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    }),
  );
  const logger = createLogger({ service: label, level: config.LOG_LEVEL, format: defaultLogFormat(config.NODE_ENV, config.LOG_FORMAT) });
  const queues = queueConnectionFromEnv(process.env, label);
  const registry = createMetricsRegistry(label);
  // One service: DATABASE_URL, as its subgraph reads it. Several: <NAME>_DATABASE_URL or POSTGRES_URL per service.
  const targetOf = (name: string): DatabaseTarget =>
    services.length === 1 && config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL } : databaseTargetFor(name);

  const running: RunningService[] = [];
  const closeAll = async () => {
    await Promise.allSettled(running.map((service) => service.close()));
  };
  try {
    for (const service of services) {
      running.push(
        await startService(service, { target: targetOf(service.name), poolSize: config.DATABASE_POOL_SIZE, queues, logger, registry, env: process.env }),
      );
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  const ops = await startOpsServer({
    port: config.WORKER_PORT,
    registry,
    readiness: async () => Object.assign({}, ...(await Promise.all(running.map((service) => service.readiness())))) as Record<string, boolean>,
  });
  logger.info({ services: running.map((service) => service.name), url: ops.url }, 'workers ready');
  return {
    async close() {
      await ops.close();
      await closeAll();
    },
  };
});
