import path from 'node:path';
import { applyJsonPatch, renderKustomization, type KubernetesObject } from './support/kustomize.ts';
import { INFRASTRUCTURE, OVERLAYS } from './support/paths.ts';
import { kubernetesProblems } from './support/validate.ts';

const validDeployment = (): KubernetesObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'demo' },
  spec: {
    selector: { matchLabels: { app: 'demo' } },
    template: { metadata: { labels: { app: 'demo' } }, spec: { containers: [{ name: 'demo', image: 'demo:1', ports: [{ containerPort: 4000 }] }] } },
  },
});

describe('Kubernetes manifests (infrastructure/)', () => {
  it.each(OVERLAYS)('overlay %s renders and every object validates against the Kubernetes schemas', (overlay) => {
    const objects = renderKustomization(path.join(INFRASTRUCTURE, 'overlays', overlay));
    expect(objects.length).toBeGreaterThan(40);
    expect(objects.flatMap(kubernetesProblems)).toEqual([]);
  });

  it('overlays set the namespace, the image and their patches', () => {
    const production = renderKustomization(path.join(INFRASTRUCTURE, 'overlays', 'production'));
    expect(new Set(production.map((object) => object.metadata.namespace))).toEqual(new Set(['storefront']));
    const router = production.find((object) => object.kind === 'Deployment' && object.metadata.name === 'router')!;
    expect(JSON.stringify(router)).toContain('"image":"registry.example.com/storefront/supergraph:0.1.0"');
    expect(JSON.stringify(router)).not.toContain('"image":"storefront-supergraph"');
    const routerScaling = production.find((object) => object.kind === 'HorizontalPodAutoscaler' && object.metadata.name === 'router')!;
    expect(routerScaling.spec).toMatchObject({ minReplicas: 3, maxReplicas: 200 });

    const dev = renderKustomization(path.join(INFRASTRUCTURE, 'overlays', 'dev'));
    const minimums = dev.filter((object) => object.kind === 'HorizontalPodAutoscaler').map((hpa) => (hpa.spec as { minReplicas: number }).minReplicas);
    expect(new Set(minimums)).toEqual(new Set([1]));
    expect(dev.some((object) => object.kind === 'Secret')).toBe(true);
    expect(production.some((object) => object.kind === 'Secret')).toBe(false);
  });
});

describe('the Kubernetes validator rejects broken objects', () => {
  it('accepts a valid Deployment', () => {
    expect(kubernetesProblems(validDeployment())).toEqual([]);
  });

  it.each([
    ['a wrongly typed field', [{ op: 'add', path: '/spec/replicas', value: 'two' }], /replicas must be integer/],
    ['a container without a name', [{ op: 'remove', path: '/spec/template/spec/containers/0/name' }], /must have required property name/],
    ['a missing selector', [{ op: 'remove', path: '/spec/selector' }], /selector/],
    ['a port out of type', [{ op: 'replace', path: '/spec/template/spec/containers/0/ports/0/containerPort', value: 'http' }], /containerPort/],
    ['an invalid name', [{ op: 'replace', path: '/metadata/name', value: 'Not_A_Name' }], /DNS label/],
  ] as const)('%s', (_, operations, message) => {
    const problems = kubernetesProblems(applyJsonPatch(validDeployment(), operations));
    expect(problems.join('\n')).toMatch(message);
  });

  it('an unknown kind', () => {
    expect(kubernetesProblems({ ...validDeployment(), apiVersion: 'apps/v1beta1' })).toEqual(['apps/v1beta1/Deployment: no schema for this apiVersion/kind']);
  });
});

describe('the kustomize renderer', () => {
  it('refuses a JSON patch on a path that does not exist', () => {
    expect(() => applyJsonPatch(validDeployment(), [{ op: 'replace', path: '/spec/paused/value', value: 1 }])).toThrow(/does not exist/);
  });

  it('applies add, replace and remove to objects and arrays', () => {
    const patched = applyJsonPatch(validDeployment(), [
      { op: 'add', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'sidecar', image: 'x' } },
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'demo:2' },
      { op: 'remove', path: '/spec/template/metadata' },
    ]);
    expect(patched.spec).toMatchObject({ replicas: 3, template: { spec: { containers: [{ image: 'demo:2' }, { name: 'sidecar' }] } } });
    expect((patched.spec as { template: object }).template).not.toHaveProperty('metadata');
  });
});
