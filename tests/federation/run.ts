import { ALL_GROUPS } from './cases/index.ts';
import { comparable, conforms, ENGINES, startCase } from './harness.ts';

/*
 * The conformance cases outside jest, for looking at what each engine answers:
 *   npx tsx tests/federation/run.ts [substring of a case name]
 * prints every operation that an engine gets wrong (or, with --all, every operation), with both sides.
 */

const args = process.argv.slice(2);
const all = args.includes('--all');
const filter = args.find((arg) => !arg.startsWith('--'));
let wrong = 0;
for (const group of ALL_GROUPS) {
  for (const testCase of group.cases) {
    if (filter && !testCase.name.includes(filter)) continue;
    let running;
    try {
      running = await startCase(testCase);
    } catch (error) {
      console.log(`✗ ${testCase.name}: ${(error as Error).message}`);
      wrong++;
      continue;
    }
    try {
      for (const operation of testCase.operations) {
        for (const engine of ENGINES) {
          const observed = await running.run(engine, operation);
          const ok = conforms(observed, operation);
          const differs = engine === '@apollo/gateway' && Boolean(operation.gatewayDiffers ?? testCase.gatewayDiffers);
          if (!ok && !differs) wrong++;
          if (ok && differs) wrong++;
          if (ok && !differs && !all) continue;
          const { actual, expected } = comparable(observed, operation);
          console.log(`${ok ? '✓' : '✗'} ${testCase.name} / ${operation.name} / ${engine}${differs ? ' (known to differ)' : ''}`);
          console.log(`    actual:   ${JSON.stringify(actual)}`);
          if (!ok) console.log(`    expected: ${JSON.stringify(expected)}`);
          if (all || !ok) console.log(`    raw errors: ${JSON.stringify(observed.response.errors ?? [])}`);
        }
      }
    } finally {
      await running.close();
    }
  }
}
console.log(wrong ? `${wrong} unexpected result(s)` : 'every engine answered as expected');
process.exit(wrong ? 1 : 0);
