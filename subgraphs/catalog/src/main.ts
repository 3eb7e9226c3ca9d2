import { catalog } from './index.ts';

catalog.main();
