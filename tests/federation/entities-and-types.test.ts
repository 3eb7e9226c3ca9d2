import { TYPE_GROUPS } from './cases/index.ts';
import { describeCases } from './harness.ts';

// Half of the cases; directives-and-operations.test.ts has the other half (two files: two jest workers).
for (const group of TYPE_GROUPS) describeCases(group);
