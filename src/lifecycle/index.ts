/**
 * Lifecycle: one start/stop shape for every long-lived part, and the runner that starts
 * a node's parts in order and stops them in reverse (docs/architecture.md).
 */
export { part, type Part } from './part.js';
export {
  DEFAULT_STOP_TIMEOUT_MS,
  Lifecycle,
  type LifecycleLog,
  type LifecycleOptions,
  type LifecycleTimers,
  type PartFailure,
} from './lifecycle.js';
export { LifecycleError } from './errors.js';
