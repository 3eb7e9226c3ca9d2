import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { COMPOSE_FILE } from './support/paths.ts';
import { composeProblems } from './support/validate.ts';
import { loadYamlDocument } from './support/yaml.ts';

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification schema', () => {
    expect(composeProblems(loadYamlDocument(COMPOSE_FILE))).toEqual([]);
  });

  it('starts every long-running app service only after the migrations, and checks its health with the image script', () => {
    const compose = loadYamlDocument(COMPOSE_FILE) as { services: Record<string, { build?: string; restart?: string; healthcheck?: { test?: string[] }; depends_on?: Record<string, { condition: string }>; profiles?: string[] }> };
    const apps = Object.entries(compose.services).filter(([, service]) => service.build && service.restart !== 'no');
    expect(apps.length).toBeGreaterThan(10);
    for (const [name, service] of apps) {
      expect([name, service.healthcheck?.test]).toEqual([name, ['CMD', 'node', 'scripts/healthcheck.mjs']]);
      const waitsForMigrations = service.depends_on?.migrate?.condition === 'service_completed_successfully';
      // The operations subgraph and the router have no database of their own; everything else waits.
      if (name !== 'operations' && name !== 'router') expect([name, waitsForMigrations]).toEqual([name, true]);
    }
  });
});

describe('the compose validator rejects broken files', () => {
  const valid = readFileSync(COMPOSE_FILE, 'utf8');
  const broken = (from: string, to: string) => {
    expect(valid).toContain(from);
    return parse(valid.replace(from, to), { merge: true, maxAliasCount: -1 }) as unknown;
  };

  it('a misspelt service key', () => {
    expect(composeProblems(broken('    image: redis:7-alpine', '    imagee: redis:7-alpine')).join('\n')).toMatch(/additionalProperty.*imagee/);
  });

  it('an unknown depends_on condition', () => {
    expect(composeProblems(broken('postgres: { condition: service_healthy }', 'postgres: { condition: service_ready }')).join('\n')).toMatch(/enum|allowedValues/);
  });

  it('a malformed duration', () => {
    expect(composeProblems(broken('  interval: 5s', '  interval: five seconds')).join('\n')).toMatch(/format/);
  });
});
