import { isDeepStrictEqual } from 'node:util';

/** A response body without its top-level `extensions`, which a gateway may add (cost, tracing) to a correct answer. */
function answerOf(text: string): unknown {
  const { extensions: _ignored, ...answer } = JSON.parse(text) as Record<string, unknown>;
  return answer;
}

/** Whether a gateway's response body is the benchmark's expected response: same data and errors, keys in any order. */
export function sameAnswer(text: string, expected: unknown): boolean {
  try {
    return isDeepStrictEqual(answerOf(text), expected);
  } catch {
    return false;
  }
}

/** Where an answer first departs from the expected one (a JSON path), for a failure message a person can act on. */
export function firstDifference(actual: unknown, expected: unknown, path = '$'): string | undefined {
  if (isDeepStrictEqual(actual, expected)) return undefined;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null || Array.isArray(actual) !== Array.isArray(expected)) {
    return `${path}: ${JSON.stringify(actual)?.slice(0, 120)} instead of ${JSON.stringify(expected)?.slice(0, 120)}`;
  }
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
    const found = firstDifference(a[key], e[key], Array.isArray(expected) ? `${path}[${key}]` : `${path}.${key}`);
    if (found) return found;
  }
  return `${path}: differs`;
}

/** What a body that is not the expected response says instead: its errors, else the first difference. */
export function describeWrongAnswer(text: string, expected: unknown): string {
  let answer: unknown;
  try {
    answer = answerOf(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const errors = (answer as { errors?: Array<{ message?: string }> }).errors;
  if (Array.isArray(errors) && errors.length) return `errors: ${errors.map((error) => error.message ?? JSON.stringify(error)).join('; ')}`;
  return `wrong answer at ${firstDifference(answer, expected)}`;
}
