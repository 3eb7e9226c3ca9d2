import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import type { Logger } from '@storefront/telemetry';
import { withRouterEnforcedSecurity } from './authorization/index.ts';

const sha = (sdl: string) => createHash('sha256').update(sdl).digest('hex').slice(0, 12);

/** Why a supergraph file cannot be served, or null when it can. */
export function supergraphProblem(sdl: string): string | null {
  if (!sdl.trim()) return 'the file is empty';
  try {
    Supergraph.build(withRouterEnforcedSecurity(sdl));
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Polls until the file exists and holds a valid supergraph, logging each new reason it does not. */
async function firstUsableVersion(
  read: () => Promise<string>,
  { file, logger, retryMs }: { file: string; logger: Logger; retryMs: number },
): Promise<string> {
  let lastProblem: string | undefined;
  for (;;) {
    const attempt = await read().then(
      (sdl) => ({ sdl, problem: supergraphProblem(sdl) }),
      (error: Error) => ({ sdl: '', problem: error.message }),
    );
    if (!attempt.problem) return attempt.sdl;
    if (attempt.problem !== lastProblem) logger.error({ file, problem: attempt.problem }, 'waiting for a usable supergraph');
    lastProblem = attempt.problem;
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

export interface SupergraphFileOptions {
  logger: Logger;
  /** How often to look for a usable file while none is loaded yet. */
  retryMs?: number;
  /** Quiet period after a change before reloading (editors write files in several steps). */
  debounceMs?: number;
}

/**
 * A gateway supergraph source backed by a file: waits for a valid file at start-up (so the router can be up
 * before its schema is published), then watches the file's folder and hot-swaps each valid new version.
 * Watching the folder rather than the file survives editors' rename-on-save and Kubernetes ConfigMap symlink
 * swaps. An invalid version is logged and ignored; the last good supergraph keeps serving.
 */
export function supergraphFromFile(file: string, { logger, retryMs = 1_000, debounceMs = 100 }: SupergraphFileOptions): SupergraphSdlHook {
  return async ({ update }) => {
    let debounce: NodeJS.Timeout | undefined;

    // The gateway gets the supergraph with the security features this router enforces accepted (see authorization/).
    const read = () =>
      readFile(file, 'utf8').then(withRouterEnforcedSecurity, (error: NodeJS.ErrnoException) => {
        throw new Error(error.code === 'ENOENT' ? `${file} does not exist` : error.message);
      });

    const initial = await firstUsableVersion(read, { file, logger, retryMs });
    let current = sha(initial);
    logger.info({ file, hash: current }, 'supergraph loaded');

    const reload = async () => {
      const sdl = await read().catch((error: Error) => {
        logger.warn({ file, problem: error.message }, 'supergraph file unreadable; keeping the loaded one');
        return undefined;
      });
      if (sdl === undefined || sha(sdl) === current) return;
      const problem = supergraphProblem(sdl);
      if (problem) {
        logger.error({ file, problem }, 'new supergraph rejected; keeping the loaded one');
        return;
      }
      try {
        update(sdl);
        current = sha(sdl);
        logger.info({ file, hash: current }, 'supergraph reloaded');
      } catch (error) {
        logger.error({ file, problem: (error as Error).message }, 'new supergraph rejected; keeping the loaded one');
      }
    };

    const watcher: FSWatcher = watch(path.dirname(file), () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => void reload(), debounceMs);
    });
    watcher.on('error', (error) => logger.error({ err: error }, 'cannot watch the supergraph file; hot reload is off'));

    return {
      supergraphSdl: initial,
      cleanup: async () => {
        clearTimeout(debounce);
        watcher.close();
      },
    };
  };
}
