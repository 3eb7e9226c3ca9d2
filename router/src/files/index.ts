export { FILES_PREFIX, forwardFiles } from './forward-files.ts';
export type { FileForwardingOptions } from './forward-files.ts';
