/**
 * The daemon's logger: pino JSON lines on stdout (for journald, files, log shippers), or
 * one readable line per record when stdout is a terminal. The readable form is a small
 * formatter of our own rather than pino-pretty: no worker-thread transport and no extra
 * dependency for what is a convenience.
 *
 * The level can be changed at run time: SIGUSR1 one step more verbose (info → debug →
 * trace), SIGUSR2 one step less (… → warn → error → fatal).
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

/** The levels a configuration may name, from most to least verbose. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** From least to most verbose. */
export const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_COLOURS: Readonly<Record<number, string>> = {
  10: '\x1b[90m',
  20: '\x1b[36m',
  30: '\x1b[32m',
  40: '\x1b[33m',
  50: '\x1b[31m',
  60: '\x1b[35m',
};
const RESET = '\x1b[0m';

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** One pino JSON line as `HH:MM:SS.mmm LEVEL [component] msg key=value …`. */
export function formatRecord(line: string, colour = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { time, level, msg, component, pid: _pid, hostname: _hostname, ...rest } = record;
  const at = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const levelNumber = typeof level === 'number' ? level : 30;
  const name = LEVEL_NAMES[levelNumber] ?? String(level);
  const shown = colour ? `${LEVEL_COLOURS[levelNumber] ?? ''}${name}${RESET}` : name;
  const fields = Object.entries(rest).map(([key, value]) => `${key}=${formatValue(value)}`);
  const parts = [
    at,
    shown,
    ...(typeof component === 'string' ? [`[${component}]`] : []),
    typeof msg === 'string' ? msg : '',
    ...fields,
  ];
  return `${parts.filter((p) => p !== '').join(' ')}\n`;
}

/** A pino destination writing readable lines to `out`. */
export function prettyDestination(out: NodeJS.WriteStream, colour: boolean): DestinationStream {
  return { write: (line: string) => void out.write(formatRecord(line, colour)) };
}

export interface DaemonLoggerOptions {
  level: string;
  /** Default: whether the output is a terminal. */
  pretty?: boolean;
  /** Default stdout; stderr when stdout carries something else (ExaBGP reads routes there). */
  output?: 'stdout' | 'stderr';
}

export function createDaemonLogger(options: DaemonLoggerOptions): Logger {
  const out = options.output === 'stderr' ? process.stderr : process.stdout;
  const pretty = options.pretty ?? out.isTTY;
  const settings = { level: options.level, base: { pid: process.pid } };
  if (pretty) return pino(settings, prettyDestination(out, true));
  return options.output === 'stderr' ? pino(settings, pino.destination(2)) : pino(settings);
}

/** The level `steps` away from `current` (positive: more verbose), clamped to LEVELS. */
export function stepLevel(current: string, steps: number): Level {
  const index = LEVELS.indexOf(current as Level);
  const from = index < 0 ? LEVELS.indexOf('info') : index;
  const to = Math.min(LEVELS.length - 1, Math.max(0, from + steps));
  return LEVELS[to] ?? 'info';
}

/** SIGUSR1: one step more verbose; SIGUSR2: one step less. Returns a remover. */
export function installLevelSignals(logger: Logger): () => void {
  const change = (signal: NodeJS.Signals, steps: number) => () => {
    const previous = logger.level;
    const level = stepLevel(previous, steps);
    logger.level = level;
    // Logged at the new level, so it shows whichever way the level went.
    logger[level](
      { event: 'log.level_changed', signal, from: previous, to: level },
      'log level changed',
    );
  };
  const more = change('SIGUSR1', 1);
  const less = change('SIGUSR2', -1);
  process.on('SIGUSR1', more);
  process.on('SIGUSR2', less);
  return () => {
    process.off('SIGUSR1', more);
    process.off('SIGUSR2', less);
  };
}
