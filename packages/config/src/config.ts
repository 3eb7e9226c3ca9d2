import { z } from 'zod';

/** Thrown when the environment does not describe a runnable process; carries every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration for ${service}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates `env` once at start-up against a zod schema whose keys are the variable names. */
export function loadConfig<Schema extends z.ZodType>(
  service: string,
  schema: Schema,
  env: NodeJS.ProcessEnv = process.env,
): z.output<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}

/** Env values arrive as strings; these parse them strictly so a typo fails at start-up, not at first use. */
export const envPort = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const envBoolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const envLogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

export const envNodeEnv = z.enum(['development', 'test', 'production']).default('development');

/** The variables every HTTP process reads. */
export const httpProcessEnv = {
  NODE_ENV: envNodeEnv,
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: envLogLevel,
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** Largest request body accepted, in bytes; larger ones get 413 PAYLOAD_TOO_LARGE. */
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_000_000),
};
