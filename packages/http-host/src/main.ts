import { ConfigError } from '@storefront/config';
import { shutdownTelemetry } from '@storefront/telemetry';

export interface Stoppable {
  close(): Promise<void>;
}

/**
 * Runs a process entry point: prints configuration errors plainly and exits 1; on SIGTERM/SIGINT closes what
 * was started (finishing in-flight work) and exits 0. A second signal exits at once.
 */
export function runMain(name: string, start: () => Promise<Stoppable>): void {
  start().then(
    (running) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(1);
        stopping = true;
        process.stderr.write(`${name}: ${signal} received, shutting down\n`);
        running
          .close()
          // Spans still buffered for export go out before the process does.
          .then(() => shutdownTelemetry())
          .then(
            () => process.exit(0),
            (error: unknown) => {
              process.stderr.write(`${name}: shutdown failed: ${String(error)}\n`);
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(
        error instanceof ConfigError ? `${error.message}\n` : `${name} failed to start: ${(error as Error)?.stack ?? String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
