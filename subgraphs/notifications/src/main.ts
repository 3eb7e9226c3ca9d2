import { notifications } from './index.ts';

notifications.main();
