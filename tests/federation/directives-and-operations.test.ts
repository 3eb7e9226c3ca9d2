import { DIRECTIVE_GROUPS } from './cases/index.ts';
import { describeCases } from './harness.ts';

// Half of the cases; entities-and-types.test.ts has the other half (two files: two jest workers).
for (const group of DIRECTIVE_GROUPS) describeCases(group);
