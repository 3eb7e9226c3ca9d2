import { statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { isRecord, loadYamlDocument, loadYamlDocuments } from './yaml.ts';

/*
 * Renders a kustomization the way `kubectl kustomize` does, for the subset infrastructure/ uses: resources (files
 * and directories), namespace, images, and JSON 6902 patches selected by kind and name. Anything else in a
 * kustomization.yaml is an error, so a feature this renderer does not implement can never be skipped silently.
 */

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface PatchTarget {
  kind?: string;
  name?: string;
}

interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);
const CLUSTER_SCOPED_KINDS = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass']);

export function renderKustomization(dir: string): KubernetesObject[] {
  const file = path.join(dir, 'kustomization.yaml');
  const kustomization = loadYamlDocument(file);
  if (!isRecord(kustomization) || kustomization.kind !== 'Kustomization') throw new Error(`${file}: not a Kustomization`);
  const unsupported = Object.keys(kustomization).filter((field) => !SUPPORTED_FIELDS.has(field));
  if (unsupported.length) throw new Error(`${file}: unsupported field(s) ${unsupported.join(', ')}`);

  let objects = stringList(kustomization.resources, file, 'resources').flatMap((entry) => {
    const target = path.resolve(dir, entry);
    return statSync(target).isDirectory() ? renderKustomization(target) : loadYamlDocuments(target).map((doc) => asObject(doc, target));
  });
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.name}`;
    if (seen.has(id)) throw new Error(`${file}: ${id} is defined twice`);
    seen.add(id);
  }
  for (const [index, patch] of listOf(kustomization.patches, file, 'patches').entries()) {
    if (!isRecord(patch) || !isRecord(patch.target) || typeof patch.patch !== 'string') throw new Error(`${file}: patches[${index}] needs a target and an inline JSON 6902 patch`);
    const target = patch.target as PatchTarget;
    const operations = parseOperations(patch.patch, `${file}: patches[${index}]`);
    const matching = objects.filter((object) => targets(object, target));
    if (!matching.length) throw new Error(`${file}: patches[${index}] matches no resource`);
    objects = objects.map((object) => (targets(object, target) ? applyJsonPatch(object, operations) : object));
  }
  for (const image of listOf(kustomization.images, file, 'images')) {
    if (!isRecord(image) || typeof image.name !== 'string') throw new Error(`${file}: every image needs a name`);
    objects = objects.map((object) => retag(object, image.name as string, image.newName, image.newTag));
  }
  if (kustomization.namespace !== undefined) {
    const namespace = String(kustomization.namespace);
    objects = objects.map((object) =>
      CLUSTER_SCOPED_KINDS.has(object.kind) ? object : { ...object, metadata: { ...object.metadata, namespace } },
    );
  }
  return objects;
}

function asObject(document: unknown, file: string): KubernetesObject {
  if (!isRecord(document) || typeof document.kind !== 'string' || typeof document.apiVersion !== 'string' || !isRecord(document.metadata) || typeof document.metadata.name !== 'string') {
    throw new Error(`${file}: every document needs apiVersion, kind and metadata.name`);
  }
  return document as KubernetesObject;
}

function listOf(value: unknown, file: string, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${file}: ${field} must be a list`);
  return value;
}

function stringList(value: unknown, file: string, field: string): string[] {
  const list = listOf(value, file, field);
  if (!list.every((item) => typeof item === 'string')) throw new Error(`${file}: ${field} must list paths`);
  return list as string[];
}

function targets(object: KubernetesObject, target: PatchTarget): boolean {
  return (target.kind === undefined || target.kind === object.kind) && (target.name === undefined || target.name === object.metadata.name);
}

function parseOperations(text: string, where: string): JsonPatchOperation[] {
  const operations: unknown = parse(text);
  const valid =
    Array.isArray(operations) &&
    operations.every((op) => isRecord(op) && ['add', 'replace', 'remove'].includes(String(op.op)) && typeof op.path === 'string' && (op.op === 'remove' || 'value' in op));
  if (!valid) throw new Error(`${where}: only JSON 6902 add/replace/remove operations are supported`);
  return operations as JsonPatchOperation[];
}

/** RFC 6902 add/replace/remove on a copy; replace and remove need the path to exist, as kustomize requires. */
export function applyJsonPatch<T>(document: T, operations: readonly JsonPatchOperation[]): T {
  const result = structuredClone(document);
  for (const operation of operations) {
    const segments = operation.path.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = segments.pop();
    if (last === undefined) throw new Error(`JSON patch: cannot ${operation.op} the whole document`);
    let parent: unknown = result;
    for (const segment of segments) {
      parent = isRecord(parent) ? parent[segment] : Array.isArray(parent) ? parent[Number(segment)] : undefined;
      if (parent === undefined) throw new Error(`JSON patch: ${operation.path} does not exist`);
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length || (operation.op !== 'add' && index >= parent.length)) {
        throw new Error(`JSON patch: ${operation.path} does not exist`);
      }
      if (operation.op === 'add') parent.splice(index, 0, operation.value);
      else if (operation.op === 'replace') parent[index] = operation.value;
      else parent.splice(index, 1);
    } else if (isRecord(parent)) {
      if (operation.op !== 'add' && !(last in parent)) throw new Error(`JSON patch: ${operation.path} does not exist`);
      if (operation.op === 'remove') Reflect.deleteProperty(parent, last);
      else parent[last] = operation.value;
    } else throw new Error(`JSON patch: ${operation.path} does not exist`);
  }
  return result;
}

/** kustomize `images`: containers whose image name (without tag) is `name` get newName and/or newTag. */
function retag(object: KubernetesObject, name: string, newName: unknown, newTag: unknown): KubernetesObject {
  const spec = podSpecOf(object);
  if (!spec) return object;
  const copy = structuredClone(object);
  const copySpec = podSpecOf(copy)!;
  for (const container of [...(copySpec.initContainers ?? []), ...copySpec.containers]) {
    const [imageName, tag] = splitImage(container.image);
    if (imageName !== name) continue;
    const finalTag = newTag === undefined ? tag : String(newTag);
    container.image = `${newName === undefined ? imageName : String(newName)}${finalTag ? `:${finalTag}` : ''}`;
  }
  return copy;
}

function splitImage(image: string): [string, string | undefined] {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string };
  tcpSocket?: { port: number | string };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}

/** The pod template of a workload (Deployment, Job); undefined for other kinds. Shapes are schema-checked first. */
export function podSpecOf(object: KubernetesObject): PodSpec | undefined {
  if (object.kind !== 'Deployment' && object.kind !== 'Job') return undefined;
  const spec = object.spec as { template?: { spec?: PodSpec } } | undefined;
  return spec?.template?.spec;
}
