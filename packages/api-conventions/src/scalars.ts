import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { ErrorCode } from './errors.ts';

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError('DateTime must be an ISO 8601 string such as 2026-11-23T09:00:00Z', {
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    });
  }
  return date;
}

/** ISO 8601 instants; every subgraph declares `scalar DateTime` and uses this implementation. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant in time, ISO 8601 with a UTC offset.',
  serialize: (value) => (value instanceof Date ? value : parseDate(value)).toISOString(),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});
