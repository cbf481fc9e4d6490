/** Child processes: one runner with a time limit, an output cap and the C locale. */
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_MS,
  runProcess,
  type ProcessOutcome,
  type RunProcessOptions,
} from './run.js';
