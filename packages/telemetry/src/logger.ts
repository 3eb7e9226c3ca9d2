import { pino, type DestinationStream, type Logger } from 'pino';
import { activeTraceId } from './telemetry/index.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** pretty: one readable line per event (local dev); json: one JSON object per line (everywhere else). */
  format?: 'json' | 'pretty';
  /** Where JSON lines go (stdout by default); tests capture them. */
  destination?: DestinationStream;
}

/** Field names that carry credentials, wherever they appear in a logged object. */
const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'secret',
  'clientSecret',
  'apiKey',
  'privateKey',
  'authorization',
  'cookie',
  '"set-cookie"',
  '"x-api-key"',
  'databaseUrl',
];

/**
 * Anything that could carry a credential is redacted before it reaches a log line: those keys at the top
 * level and up to two objects deep (a GraphQL `variables.input.password`, `req.headers.authorization`),
 * plus the request/response header shapes pino's and our own serializers produce. Deeper paths are not
 * searched on purpose: every wildcard level walks each logged object.
 */
export const REDACTED_PATHS = [
  ...SECRET_KEYS.flatMap((key) => {
    const field = key.startsWith('"') ? `[${key}]` : key;
    const nested = key.startsWith('"') ? `[${key}]` : `.${key}`;
    return [field, `*${nested}`, `*.*${nested}`];
  }),
  'req.body.variables.*.password',
  'req.body.variables.*.refreshToken',
  'res.headers["set-cookie"]',
];

export function createLogger({ service, level = 'info', format = 'json', destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Lines logged inside a span (jobs, background work) carry its trace id; request loggers already bind one.
    mixin: (_merge, _level, logger) => {
      const traceId = activeTraceId();
      return traceId && !('traceId' in logger.bindings()) ? { traceId } : {};
    },
    ...(format === 'pretty' && !destination
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, singleLine: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service,name' },
          },
        }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

export function defaultLogFormat(nodeEnv: string, explicit?: 'json' | 'pretty'): 'json' | 'pretty' {
  return explicit ?? (nodeEnv === 'development' && process.stdout.isTTY ? 'pretty' : 'json');
}
