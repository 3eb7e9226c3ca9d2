import { reviews } from './index.ts';

reviews.main();
