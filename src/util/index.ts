/** Small pure helpers shared by several areas; each file is one helper. */
export {
  RFC4271_JITTER,
  backoffDelay,
  type BackoffPolicy,
  type JitterRange,
  type RandomSource,
} from './backoff.js';
export { joinHostPort, parseHostPort, type HostPort } from './host-port.js';
export { errorCode, errorMessage, errorReason } from './error-text.js';
export { KeyedRateLimiter, type RateLimiterOptions, type Suppressed } from './rate-limit.js';
