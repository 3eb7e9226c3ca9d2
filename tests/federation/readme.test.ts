import { readFileSync } from 'node:fs';
import { ALL_GROUPS, DIRECTIVE_GROUPS, TYPE_GROUPS } from './cases/index.ts';
import { README_PATH, renderReadme } from './readme.ts';

it('README.md lists the cases as they are (regenerate: npx tsx tests/federation/readme.ts)', () => {
  expect(readFileSync(README_PATH, 'utf8')).toBe(renderReadme());
});

it('every case runs in one of the two test files, once, under a unique name', () => {
  const names = (groups: typeof ALL_GROUPS) => groups.flatMap((group) => group.cases.map((testCase) => testCase.name));
  expect([...names(TYPE_GROUPS), ...names(DIRECTIVE_GROUPS)].sort()).toEqual(names(ALL_GROUPS).sort());
  expect(new Set(names(ALL_GROUPS)).size).toBe(names(ALL_GROUPS).length);
});
