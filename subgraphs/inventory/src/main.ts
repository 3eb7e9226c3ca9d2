import { inventory } from './index.ts';

inventory.main();
