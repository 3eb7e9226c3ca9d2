export { queueDashboardConfigFrom, queueDashboardEnv } from './config.ts';
export type { QueueDashboardConfig } from './config.ts';
export { createQueueDashboard, DASHBOARD_PATH, SESSION_COOKIE, SESSION_PATH } from './queue-dashboard.ts';
export type { QueueDashboard, QueueDashboardOptions } from './queue-dashboard.ts';
