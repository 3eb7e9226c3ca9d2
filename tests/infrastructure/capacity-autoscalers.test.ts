import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderKustomization, type KubernetesObject } from './support/kustomize.ts';
import { COMPOSE_FILE, INFRASTRUCTURE } from './support/paths.ts';

/*
 * The Kubernetes base's autoscalers take their numbers from the capacity model: docs/capacity.md's table
 * "Autoscaler settings" lists, per Deployment, the minimum and maximum replicas and the CPU per pod at which
 * the HPA adds one. A manifest and the model that disagree fail here, so neither is changed without the other.
 */

const CAPACITY = readFileSync(path.join(path.dirname(COMPOSE_FILE), 'docs', 'capacity.md'), 'utf8');
const HEADER = '| Deployment | minReplicas | maxReplicas | adds a pod at (CPU per pod) |';

interface Setting {
  min: number;
  max: number;
  cpu: string;
}

function modelSettings(text: string): Map<string, Setting> {
  const start = text.indexOf(HEADER);
  if (start < 0) throw new Error(`docs/capacity.md has no table headed ${HEADER}`);
  const rows = text.slice(start).split('\n').slice(2);
  const settings = new Map<string, Setting>();
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const [names = '', min = '', max = '', cpu = ''] = row.split('|').slice(1, -1).map((cell) => cell.trim().replace(/`/g, ''));
    for (const name of names.split(',').map((entry) => entry.trim())) settings.set(name, { min: Number(min), max: Number(max), cpu });
  }
  return settings;
}

function manifestSettings(objects: KubernetesObject[]): Map<string, Setting> {
  return new Map(
    objects
      .filter((object) => object.kind === 'HorizontalPodAutoscaler')
      .map((hpa) => {
        const spec = hpa.spec as { minReplicas: number; maxReplicas: number; metrics: Array<{ resource?: { name: string; target: { type: string; averageValue?: string } } }> };
        const cpu = spec.metrics.find((metric) => metric.resource?.name === 'cpu')?.resource?.target;
        return [hpa.metadata.name, { min: spec.minReplicas, max: spec.maxReplicas, cpu: cpu?.type === 'AverageValue' ? (cpu.averageValue ?? '') : `${cpu?.type}` }];
      }),
  );
}

describe('the autoscalers and the capacity model (docs/capacity.md)', () => {
  it('every HorizontalPodAutoscaler of the base has the model\'s minimum, maximum and CPU per pod, and the model lists no other', () => {
    const model = modelSettings(CAPACITY);
    const manifests = manifestSettings(renderKustomization(path.join(INFRASTRUCTURE, 'base')));
    expect(manifests.size).toBeGreaterThan(15);
    expect(Object.fromEntries(manifests)).toEqual(Object.fromEntries(model));
  });

  it('reads the table as written (a wrong maximum is a difference)', () => {
    const table = `${HEADER}\n| --- | --- | --- | --- |\n| \`router\` | 2 | 20 | 1400m |\n| \`orders\`, \`catalog\` | 2 | 6 | 600m |\n`;
    expect(Object.fromEntries(modelSettings(table))).toEqual({ router: { min: 2, max: 20, cpu: '1400m' }, orders: { min: 2, max: 6, cpu: '600m' }, catalog: { min: 2, max: 6, cpu: '600m' } });
  });
});
