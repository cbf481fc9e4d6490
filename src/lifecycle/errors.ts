/** The lifecycle's own failure: a part that did not stop within its bound. */
export class LifecycleError extends Error {
  readonly kind = 'LIFECYCLE_STOP_TIMEOUT';
  readonly part: string;
  readonly timeoutMs: number;
  constructor(part: string, timeoutMs: number) {
    super(`${part} did not stop within ${timeoutMs} ms`);
    this.name = 'LifecycleError';
    this.part = part;
    this.timeoutMs = timeoutMs;
  }
}
