export { Daemon, DaemonError } from './daemon.js';
export type { DaemonOptions, DaemonStatus, RouteStatus } from './daemon.js';
export { hookArguments, runHook } from './hook.js';
