/**
 * The `on_change` hook: a command run on every service transition, with
 * {service}, {state}, {previous} and {reason} substituted in its arguments. It runs
 * like an exec check (no shell, own process group, killed at its timeout,
 * bounded output), and never delays the routing decision it reports.
 */
import type { Logger } from 'pino';
import { createExecCheck } from '../checks/index.js';
import type { Transition } from '../health/index.js';

export function hookArguments(argv: readonly string[], transition: Transition): string[] {
  const values: Record<string, string> = {
    service: transition.service,
    state: transition.to,
    previous: transition.from,
    reason: transition.reason,
  };
  return argv.map((arg) =>
    arg.replace(/\{(service|state|previous|reason)\}/g, (_, key: string) => values[key] ?? ''),
  );
}

export async function runHook(
  argv: readonly string[],
  transition: Transition,
  timeoutSeconds: number,
  log: Logger,
): Promise<void> {
  const command = hookArguments(argv, transition);
  const hook = createExecCheck(
    { command },
    { name: 'on_change', interval: timeoutSeconds, timeout: timeoutSeconds },
  );
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutSeconds * 1000);
  try {
    const result = await hook.run(controller.signal);
    const fields = {
      service: transition.service,
      state: transition.to,
      command,
      ms: Math.round(result.durationMs),
    };
    if (result.ok) log.info({ event: 'hook.ran', ...fields }, 'on_change hook ran');
    else
      log.warn(
        {
          event: 'hook.failed',
          ...fields,
          reason: controller.signal.aborted ? `killed after ${timeoutSeconds} s` : result.reason,
        },
        'on_change hook failed',
      );
  } finally {
    clearTimeout(timer);
  }
}
