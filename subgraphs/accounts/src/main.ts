import { accounts } from './index.ts';

accounts.main();
