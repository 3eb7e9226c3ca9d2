import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listSubgraphs } from '@storefront/config';

/*
 * The outbox and processed-events models are defined once, in this package's prisma/schema.prisma; every
 * subgraph that keeps the tables repeats them word for word (Prisma cannot import a model from another
 * package). The relay, consumers and housekeeping here run the same SQL against every service's database, so
 * a column renamed, retyped or left without its index in one service would break only there, at run time.
 */

const EVENT_MODELS = ['OutboxEvent', 'ProcessedEvent'] as const;

/** A model's block without comments and with whitespace collapsed: what Prisma reads, not how it is laid out. */
function modelBlock(schema: string, model: string): string | undefined {
  const block = new RegExp(`^model ${model} \\{[\\s\\S]*?^\\}`, 'm').exec(schema)?.[0];
  return block
    ?.split('\n')
    .map((line) => line.replace(/\/\/.*$/, '').trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .join('\n');
}

const definition = readFileSync(fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url)), 'utf8');
const services = listSubgraphs()
  .filter((subgraph) => subgraph.database)
  .map((subgraph) => ({ name: subgraph.name, schema: readFileSync(subgraph.prismaSchemaPath, 'utf8') }));

it.each(EVENT_MODELS)('this package defines %s', (model) => {
  expect(modelBlock(definition, model)).toBeDefined();
});

describe.each(EVENT_MODELS)('%s', (model) => {
  const keeping = services.filter(({ schema }) => modelBlock(schema, model) !== undefined);

  it('is kept by the services that publish or consume events', () => {
    expect(keeping.length).toBeGreaterThanOrEqual(5);
  });

  it.each(keeping.map(({ name }) => name))('is the same in %s as in this package', (name) => {
    const schema = services.find((service) => service.name === name)?.schema ?? '';
    expect(modelBlock(schema, model)).toBe(modelBlock(definition, model));
  });
});

it('a drifted copy is told apart', () => {
  const drifted = definition.replace('attempts      Int       @default(0)', 'attempts      BigInt    @default(0)');
  expect(modelBlock(drifted, 'OutboxEvent')).not.toBe(modelBlock(definition, 'OutboxEvent'));
});
