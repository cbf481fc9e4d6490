/**
 * system: host thresholds read from /proc (Linux).
 *
 * - `max_cpu_percent`: busy share of all CPUs since the previous run, from the
 *   "cpu" line of /proc/stat (busy = total - idle - iowait; guest time is
 *   already inside user and nice, so it is not added twice).
 * - `max_memory_percent`: 100 × (1 - MemAvailable / MemTotal) from /proc/meminfo.
 * - `max_rx_mbps` / `max_tx_mbps` on `interface`: megabits per second since the
 *   previous run, from /proc/net/dev byte counters.
 *
 * The first run has no previous sample, so CPU and rates cannot be judged: it
 * records the baseline and passes those thresholds with a note ("no baseline
 * yet"), while memory (which needs no delta) is judged at once. Failing instead
 * would withdraw every service at start-up for no reason; the next run, one
 * interval later, judges the rates. A counter that went backwards (interface
 * re-created) is treated the same way.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { percent } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import { type Now, elapsedMs, fail, formatNumber, monotonicNow, pass } from './util.js';
import { errorReason } from '../util/index.js';

export interface SystemSpec {
  readonly max_cpu_percent?: number;
  readonly max_memory_percent?: number;
  readonly interface?: string;
  readonly max_rx_mbps?: number;
  readonly max_tx_mbps?: number;
}

export interface SystemOptions {
  /** Where /proc is; tests point it at a directory of fixture files. */
  readonly procRoot?: string;
  /** Monotonic milliseconds, for rates. */
  readonly now?: Now;
}

const mbps = (key: string) =>
  z
    .number({ error: `${key} must be a number (megabits per second)` })
    .positive({ error: `${key} must be positive` });

export const systemSchema = z
  .strictObject({
    max_cpu_percent: percent('max_cpu_percent').optional(),
    max_memory_percent: percent('max_memory_percent').optional(),
    interface: z
      .string({ error: 'interface must be a network interface name' })
      .regex(/^[^\s/:]{1,15}$/, {
        error: 'interface must be a network interface name such as "eth0"',
      })
      .optional(),
    max_rx_mbps: mbps('max_rx_mbps').optional(),
    max_tx_mbps: mbps('max_tx_mbps').optional(),
  })
  .superRefine((spec, ctx) => {
    const rates = spec.max_rx_mbps !== undefined || spec.max_tx_mbps !== undefined;
    if (rates && spec.interface === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['interface'],
        message: 'max_rx_mbps and max_tx_mbps need an interface',
      });
    }
    if (!rates && spec.interface !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['interface'],
        message: 'interface is only used with max_rx_mbps or max_tx_mbps',
      });
    }
    if (!rates && spec.max_cpu_percent === undefined && spec.max_memory_percent === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'system check needs at least one of max_cpu_percent, max_memory_percent, max_rx_mbps, max_tx_mbps',
      });
    }
  });

export interface CpuSample {
  readonly total: number;
  readonly idle: number;
}

/** The aggregate "cpu" line of /proc/stat. */
export function parseProcStat(text: string): CpuSample | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice]
  const total = fields.slice(0, 8).reduce((sum, n) => sum + n, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { total, idle };
}

/** Used memory percent from /proc/meminfo. */
export function parseMeminfo(text: string): number | undefined {
  const value = (key: string): number | undefined => {
    const match = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
    return match === null ? undefined : Number(match[1]);
  };
  const total = value('MemTotal');
  const available = value('MemAvailable');
  if (total === undefined || available === undefined || total === 0) return undefined;
  return 100 * (1 - available / total);
}

export interface NetSample {
  readonly rxBytes: number;
  readonly txBytes: number;
}

/** One interface's byte counters from /proc/net/dev. */
export function parseNetDev(text: string, name: string): NetSample | undefined {
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() !== name) continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    const rx = fields[0];
    const tx = fields[8];
    if (rx === undefined || tx === undefined || !Number.isFinite(rx) || !Number.isFinite(tx)) {
      return undefined;
    }
    return { rxBytes: rx, txBytes: tx };
  }
  return undefined;
}

interface Baseline {
  readonly at: number;
  readonly cpu?: CpuSample;
  readonly net?: NetSample;
}

export function createSystemCheck(
  spec: SystemSpec,
  common: CheckCommon,
  options: SystemOptions = {},
): HealthCheck {
  const root = options.procRoot ?? '/proc';
  const now = options.now ?? monotonicNow;
  const wantCpu = spec.max_cpu_percent !== undefined;
  const wantMemory = spec.max_memory_percent !== undefined;
  const wantNet = spec.interface !== undefined;
  let previous: Baseline | undefined;

  return {
    ...common,
    type: 'system',
    async run(): Promise<CheckResult> {
      const start = monotonicNow();
      let stat: string | undefined;
      let meminfo: string | undefined;
      let netdev: string | undefined;
      try {
        [stat, meminfo, netdev] = await Promise.all([
          wantCpu ? readFile(join(root, 'stat'), 'utf8') : undefined,
          wantMemory ? readFile(join(root, 'meminfo'), 'utf8') : undefined,
          wantNet ? readFile(join(root, 'net/dev'), 'utf8') : undefined,
        ]);
      } catch (error) {
        return fail(`cannot read /proc: ${errorReason(error)}`, elapsedMs(start), error);
      }
      const at = now();
      const problems: string[] = [];
      const notes: string[] = [];
      const judge = (what: string, value: number, max: number, unit: string): void => {
        const text = `${what} ${formatNumber(value, 1)}${unit} (max ${max}${unit})`;
        (value > max ? problems : notes).push(text);
      };

      let cpu: CpuSample | undefined;
      if (stat !== undefined && spec.max_cpu_percent !== undefined) {
        cpu = parseProcStat(stat);
        const before = previous?.cpu;
        if (cpu === undefined) {
          problems.push('cannot parse /proc/stat');
        } else if (before === undefined || cpu.total <= before.total || cpu.idle < before.idle) {
          notes.push('cpu: no baseline yet');
        } else {
          const total = cpu.total - before.total;
          const busy = total - (cpu.idle - before.idle);
          judge('cpu', (100 * busy) / total, spec.max_cpu_percent, '%');
        }
      }

      if (meminfo !== undefined && spec.max_memory_percent !== undefined) {
        const used = parseMeminfo(meminfo);
        if (used === undefined) problems.push('cannot parse /proc/meminfo');
        else judge('memory', used, spec.max_memory_percent, '%');
      }

      let net: NetSample | undefined;
      if (netdev !== undefined && spec.interface !== undefined) {
        net = parseNetDev(netdev, spec.interface);
        const before = previous?.net;
        const seconds = previous === undefined ? 0 : (at - previous.at) / 1000;
        if (net === undefined) {
          problems.push(`interface ${spec.interface} not found in /proc/net/dev`);
        } else if (
          before === undefined ||
          seconds <= 0 ||
          net.rxBytes < before.rxBytes ||
          net.txBytes < before.txBytes
        ) {
          notes.push(`${spec.interface}: no baseline yet`);
        } else {
          const rate = (bytes: number): number => (bytes * 8) / seconds / 1e6;
          if (spec.max_rx_mbps !== undefined) {
            judge(
              `${spec.interface} rx`,
              rate(net.rxBytes - before.rxBytes),
              spec.max_rx_mbps,
              ' Mb/s',
            );
          }
          if (spec.max_tx_mbps !== undefined) {
            judge(
              `${spec.interface} tx`,
              rate(net.txBytes - before.txBytes),
              spec.max_tx_mbps,
              ' Mb/s',
            );
          }
        }
      }

      previous = {
        at,
        ...(cpu === undefined ? {} : { cpu }),
        ...(net === undefined ? {} : { net }),
      };
      const duration = elapsedMs(start);
      if (problems.length > 0) return fail(problems.join('; '), duration);
      return pass(notes.join(', '), duration);
    },
  };
}

export const systemCheck: CheckType<SystemSpec> = {
  type: 'system',
  schema: systemSchema,
  defaultName: (spec) => {
    const parts = [
      spec.max_cpu_percent === undefined ? undefined : 'cpu',
      spec.max_memory_percent === undefined ? undefined : 'memory',
      spec.interface,
    ].filter((p) => p !== undefined);
    return `system ${parts.join(' ')}`;
  },
  create: (spec, common) => createSystemCheck(spec, common),
};
