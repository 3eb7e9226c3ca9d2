import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

/**
 * Every document of a YAML file, with merge keys (`<<: *anchor`) resolved as Docker Compose and kubectl resolve
 * them. A syntax error anywhere fails the load rather than yielding a partial file.
 */
export function loadYamlDocuments(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true, prettyErrors: true });
  const problems = documents.flatMap((document) => document.errors.map((error) => error.message));
  if (problems.length) throw new Error(`${file}: ${problems.join('\n')}`);
  return documents.map((document) => document.toJS({ maxAliasCount: -1 }) as unknown).filter((value) => value != null);
}

export function loadYamlDocument(file: string): unknown {
  const [document, ...rest] = loadYamlDocuments(file);
  if (document === undefined || rest.length) throw new Error(`${file}: expected exactly one YAML document`);
  return document;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
