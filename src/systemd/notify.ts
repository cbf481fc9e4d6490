/**
 * sd_notify(3) for `Type=notify` units: READY=1, WATCHDOG=1, STOPPING=1, and
 * RELOADING=1 with MONOTONIC_USEC then READY=1 around a reload (as `Type=notify-reload`
 * requires and `Type=notify` allows: the manager shows the unit "reloading" meanwhile).
 *
 * The protocol is one datagram on the AF_UNIX SOCK_DGRAM socket named by $NOTIFY_SOCKET.
 * Node's `dgram` cannot send to unix datagram sockets and we ship no native addon, so each
 * message is sent by a short-lived helper process:
 *
 *   - `systemd-notify STATE…` first: it ships with systemd itself, so wherever systemd set
 *     NOTIFY_SOCKET it is installed, and it waits until the manager has processed the
 *     message (BARRIER=1), which avoids the race where a helper exits before systemd
 *     reads its cgroup.
 *   - otherwise `python3 -c …` (AF_UNIX/SOCK_DGRAM sendto, abstract `@` names included):
 *     for containers and other managers that speak the protocol without systemd installed.
 *
 * Because the sender is a helper, not the main process, the unit needs NotifyAccess=all
 * (packaging/systemd/anycast-guard.service). Nothing here ever fails the daemon: without
 * NOTIFY_SOCKET it does nothing, and a helper that fails or hangs is logged and ignored.
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import { errorMessage } from '../util/index.js';

const HELPER_TIMEOUT_MS = 3_000;

const PYTHON_SEND = [
  'import os, socket, sys',
  "a = os.environ['NOTIFY_SOCKET']",
  "a = '\\0' + a[1:] if a.startswith('@') else a",
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  "s.sendto('\\n'.join(sys.argv[1:]).encode(), a)",
].join('\n');

function execHelper(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: HELPER_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error) {
        const detail = stderr.trim();
        reject(new Error(detail ? `${error.message.trim()}: ${detail}` : error.message.trim()));
      } else resolve();
    });
  });
}

/** CLOCK_MONOTONIC in microseconds: libuv's hrtime reads that clock on Linux. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

export class SystemdNotifier {
  /** Whether a service manager asked for notifications. */
  readonly enabled: boolean;
  private readonly watchdogMs: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private useSystemdNotify = true;

  constructor(
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.enabled = Boolean(env.NOTIFY_SOCKET);
    const usec = Number(env.WATCHDOG_USEC);
    // WATCHDOG_PID, when set, names the process the watchdog is meant for.
    const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogMs =
      this.enabled && forUs && Number.isFinite(usec) && usec > 0 ? usec / 1000 : undefined;
  }

  /** Sends `KEY=value` lines; resolves either way (a failure is logged). */
  async notify(...state: string[]): Promise<void> {
    if (!this.enabled || state.length === 0) return;
    if (this.useSystemdNotify) {
      try {
        await execHelper('systemd-notify', state);
        return;
      } catch (error) {
        const message = errorMessage(error);
        if (!/ENOENT/.test(message)) {
          this.logger.warn(
            { event: 'systemd.notify_failed', err: message, state },
            'systemd-notify failed',
          );
          return;
        }
        this.useSystemdNotify = false;
        this.logger.debug(
          { event: 'systemd.notify_fallback' },
          'systemd-notify not found: notifying with python3',
        );
      }
    }
    try {
      await execHelper('python3', ['-c', PYTHON_SEND, ...state]);
    } catch (error) {
      this.logger.warn(
        { event: 'systemd.notify_failed', err: errorMessage(error), state },
        'sd_notify failed',
      );
    }
  }

  /** READY=1, then WATCHDOG=1 every WATCHDOG_USEC/2 while the event loop turns. */
  async ready(): Promise<void> {
    if (!this.enabled) return;
    await this.notify('READY=1');
    if (this.watchdogMs === undefined || this.watchdog) return;
    const intervalMs = Math.max(1, Math.floor(this.watchdogMs / 2));
    this.logger.debug(
      { event: 'systemd.watchdog_enabled', intervalMs },
      'systemd watchdog enabled',
    );
    // A timer, not a separate thread: a blocked event loop stops the pings, as it should.
    this.watchdog = setInterval(() => void this.notify('WATCHDOG=1'), intervalMs);
    this.watchdog.unref();
  }

  /**
   * RELOADING=1 with MONOTONIC_USEC, the CLOCK_MONOTONIC time the reload began (systemd
   * uses it to tell this reload from an older one). Send `ready()` when it is done,
   * whether it succeeded or not: the unit stays "reloading" until then.
   */
  async reloading(now: () => bigint = monotonicUsec): Promise<void> {
    if (!this.enabled) return;
    await this.notify('RELOADING=1', `MONOTONIC_USEC=${now()}`);
  }

  /** Stops the watchdog pings and sends STOPPING=1. */
  async stopping(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    await this.notify('STOPPING=1');
  }
}
