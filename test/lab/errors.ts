/** Errors raised by the lab helpers. */

/** The lab cannot run here (not root, `ip` or a daemon binary missing, namespaces refused). */
export class LabUnavailable extends Error {
  readonly code = 'LAB_UNAVAILABLE';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`lab unavailable: ${reason}`, options);
    this.name = 'LabUnavailable';
  }
}

/** A command run by the lab exited non-zero, timed out or could not start. */
export class LabCommandError extends Error {
  readonly code = 'LAB_COMMAND_FAILED';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${argv.join(' ')}: ${reason}${stderr.trim() ? `: ${stderr.trim().slice(0, 2000)}` : ''}`,
      options,
    );
    this.name = 'LabCommandError';
  }
}

/** waitFor gave up: names what it waited for and the last value it saw. */
export class WaitTimeout extends Error {
  readonly code = 'LAB_WAIT_TIMEOUT';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastValue: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${describe(lastValue)}`,
      options,
    );
    this.name = 'WaitTimeout';
  }
}

export function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 1500 ? `${value.slice(0, 1500)}…` : value);
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
  } catch {
    return String(value);
  }
}
