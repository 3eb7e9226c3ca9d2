import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as runtime from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';

/*
 * Prisma's schema engine compiled to WebAssembly. The package's main entry imports the .wasm file as an ES
 * module, which Node 20 cannot do, so we instantiate the binary ourselves, once per process.
 */
let initialised: Promise<void> | undefined;

/**
 * The engine arms internal timeouts that outlive its work; left referenced, they keep a finished CLI command
 * alive for ~10 s. Unreferenced timers still fire while the process has other work.
 */
function withUnrefTimers(bindings: typeof runtime): WebAssembly.ModuleImports {
  const imports: WebAssembly.ModuleImports = { ...(bindings as unknown as WebAssembly.ModuleImports) };
  for (const [name, binding] of Object.entries(imports)) {
    if (name.startsWith('__wbg_setTimeout_') && typeof binding === 'function') {
      imports[name] = (...args: unknown[]) => {
        const timer = (binding as (...a: unknown[]) => unknown)(...args);
        (timer as { unref?: () => void } | undefined)?.unref?.();
        return timer;
      };
    }
  }
  return imports;
}

function initialiseWasm(): Promise<void> {
  initialised ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
    const module = new WebAssembly.Module(await readFile(wasmPath));
    const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': withUnrefTimers(runtime) });
    runtime.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  })();
  return initialised;
}

export type EngineLog = (message: string) => void;

/** Runs `work` with a schema engine bound to the given adapter factory and always frees the engine. */
export async function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  work: (engine: SchemaEngine) => Promise<T>,
  log: EngineLog = () => {},
): Promise<T> {
  await initialiseWasm();
  const engine = (await runtime.SchemaEngine.new(
    { datamodels: undefined },
    (message: string) => log(message),
    bindMigrationAwareSqlAdapterFactory(factory),
  )) as SchemaEngine;
  try {
    return await work(engine);
  } finally {
    engine.free();
  }
}
