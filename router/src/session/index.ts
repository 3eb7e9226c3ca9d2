export { cookieValue, createSessionRoutes, REFRESH_COOKIE, SESSION_PREFIX } from './session-routes.ts';
export type { ExecutedOperation, SessionResponse, SessionRoutesOptions } from './session-routes.ts';
export { SESSION_OPERATIONS } from './operations.ts';
export type { SessionOperation } from './operations.ts';
