export { Daemon, DaemonError } from './daemon.js';
export type { DaemonOptions, DaemonStatus, PermitWant, RouteStatus } from './daemon.js';
export { hookArguments, runHook } from './hook.js';
