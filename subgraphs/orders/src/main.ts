import { orders } from './index.ts';

orders.main();
