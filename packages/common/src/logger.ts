import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** pretty: one readable line per event (local dev); json: one JSON object per line (everywhere else). */
  format?: 'json' | 'pretty';
}

/** Anything that could carry a credential is redacted before it reaches a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.databaseUrl',
];

export function createLogger({ service, level = 'info', format = 'json' }: LoggerOptions): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(format === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, singleLine: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service,name' },
          },
        }
      : {}),
  });
}

export function defaultLogFormat(nodeEnv: string, explicit?: 'json' | 'pretty'): 'json' | 'pretty' {
  return explicit ?? (nodeEnv === 'development' && process.stdout.isTTY ? 'pretty' : 'json');
}
