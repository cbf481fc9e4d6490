/**
 * Child side: runs our BgpSpeaker inside a lab namespace.
 *
 *   ip netns exec NS node dist/test/lab/speaker-process.js CONFIG.json
 *
 * Reads a SpeakerProcessConfig, starts the speaker, then handles JSON-line commands on
 * stdin in order and writes JSON-line events on stdout (protocol: speaker-protocol.ts).
 * Logs (pino) go to stderr. On `stop`, stdin EOF or SIGTERM it stops the speaker
 * (withdraw all, Cease with the shutdown message) and writes an `exit` event with its
 * peak RSS (VmHWM) before exiting.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import ipaddr from 'ipaddr.js';
import { pino } from 'pino';
import { BgpSpeaker } from '../../src/bgp/index.js';
import type { AnnounceAttributes } from '../../src/bgp/index.js';
import { preciseNow } from './speaker-protocol.js';
import type {
  SpeakerCommand,
  SpeakerEvent,
  SpeakerProcessConfig,
  SpeakerResults,
} from './speaker-protocol.js';

function emit(event: SpeakerEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function procStatusKb(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return match ? Number(match[1]) : 0;
}

/**
 * `count` consecutive host prefixes from `start` ("198.18.16.0" → 198.18.16.0/32, .1/32, …).
 * One byte array counted up in place, so a 100,000-route range leaves little garbage in
 * the process whose memory the transfer benchmark measures.
 */
export function* hostRange(start: string, count: number): Generator<string> {
  if (!Number.isInteger(count) || count < 0) throw new Error(`bad count ${count}`);
  const bytes = ipaddr.parse(start).toByteArray();
  const v4 = bytes.length === 4;
  let room = 0; // how many more addresses fit after `start`, capped at count
  for (let i = 0; i < bytes.length && room <= count; i++)
    room = room * 256 + (255 - (bytes[i] ?? 0));
  if (count > room + 1) throw new Error(`range ${start} + ${count} overflows the address space`);
  for (let i = 0; i < count; i++) {
    if (i > 0)
      for (let j = bytes.length - 1; j >= 0; j--) {
        const b = (bytes[j] ?? 0) + 1;
        bytes[j] = b & 0xff;
        if (b <= 0xff) break;
      }
    yield v4
      ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}/32`
      : `${ipaddr.fromByteArray(bytes).toString()}/128`;
  }
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath) throw new Error('usage: speaker-process.js CONFIG.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as SpeakerProcessConfig;
  // What `anycast-guard run` imports (src/cli/main.ts: commander, the director commands it
  // registers, run.js), so their code and data count in the RSS as they do in the daemon.
  if (config.asDaemon === true)
    await Promise.all([
      import('commander'),
      import('../../src/cli/director.js'),
      import('../../src/cli/run.js'),
    ]);
  const logger = pino(
    { level: config.logLevel ?? 'info', base: { pid: process.pid } },
    pino.destination(2),
  );
  const speaker = new BgpSpeaker({ ...config.speaker, logger });
  speaker.on('peer-state', (status) => emit({ event: 'peer-state', at: preciseNow(), status }));

  let stopping: Promise<void> | undefined;
  const stopAndExit = (message: string, code: number): Promise<void> => {
    stopping ??= (async () => {
      try {
        await speaker.stop(message);
      } catch (error) {
        logger.error({ err: error }, 'speaker stop failed');
        code = 1;
      }
      emit({ event: 'exit', at: preciseNow(), code, vmHwmKb: procStatusKb('VmHWM') });
      process.exit(code);
    })();
    return stopping;
  };

  const handle = async (command: SpeakerCommand): Promise<unknown> => {
    switch (command.op) {
      case 'announce': {
        for (const prefix of command.prefixes) speaker.announce(prefix, command.attributes ?? {});
        return { count: command.prefixes.length } satisfies SpeakerResults['announce'];
      }
      case 'withdraw': {
        let count = 0;
        for (const prefix of command.prefixes) if (speaker.withdraw(prefix)) count++;
        return { count } satisfies SpeakerResults['withdraw'];
      }
      case 'announce-range': {
        const attributes: AnnounceAttributes = command.attributes ?? {};
        let first = '';
        let last = '';
        let count = 0;
        for (const prefix of hostRange(command.start, command.count)) {
          speaker.announce(prefix, attributes);
          if (count === 0) first = prefix;
          last = prefix;
          count++;
        }
        return { count, first, last } satisfies SpeakerResults['announce-range'];
      }
      case 'withdraw-range': {
        let count = 0;
        for (const prefix of hostRange(command.start, command.count))
          if (speaker.withdraw(prefix)) count++;
        return { count } satisfies SpeakerResults['withdraw-range'];
      }
      case 'status':
        return {
          peers: speaker.peerStatus(),
          vmRssKb: procStatusKb('VmRSS'),
          vmHwmKb: procStatusKb('VmHWM'),
        } satisfies SpeakerResults['status'];
      case 'flushed':
        await speaker.flushed();
        return { at: preciseNow() } satisfies SpeakerResults['flushed'];
      case 'received-routes':
        return speaker.receivedRoutes() satisfies SpeakerResults['received-routes'];
      case 'set-bfd':
        speaker.setPeerBfd(command.address, command.bfd);
        return { at: preciseNow() } satisfies SpeakerResults['set-bfd'];
      case 'stop':
        // Reply first; the exit event follows once the Cease is out.
        emit({ event: 'reply', id: command.id, ok: true, result: { at: preciseNow() } });
        await stopAndExit(command.message ?? 'anycast-guard stopping', 0);
        return undefined;
      default: {
        const unknown = command as { op?: unknown };
        throw new Error(`unknown op ${String(unknown.op)}`);
      }
    }
  };

  process.once('SIGTERM', () => void stopAndExit('terminated', 0));
  process.once('SIGINT', () => void stopAndExit('interrupted', 0));

  await speaker.start();
  emit({ event: 'ready', at: preciseNow(), pid: process.pid });

  // Commands run strictly in order: a range announce finishes before the next command.
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let command: SpeakerCommand;
    try {
      command = JSON.parse(line) as SpeakerCommand;
    } catch (error) {
      emit({ event: 'error', at: preciseNow(), message: `bad command line: ${String(error)}` });
      continue;
    }
    try {
      const result = await handle(command);
      if (command.op !== 'stop') emit({ event: 'reply', id: command.id, ok: true, result });
    } catch (error) {
      const err = error as Error & { code?: unknown; kind?: unknown };
      const code =
        typeof err.kind === 'string'
          ? err.kind
          : typeof err.code === 'string'
            ? err.code
            : undefined;
      emit({
        event: 'reply',
        id: command.id,
        ok: false,
        error: code === undefined ? { message: err.message } : { message: err.message, code },
      });
    }
  }
  // The parent closed our stdin: it is gone or done with us.
  await stopAndExit('anycast-guard test harness closed', 0);
}

main().catch((error: unknown) => {
  emit({
    event: 'error',
    at: preciseNow(),
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  emit({ event: 'exit', at: preciseNow(), code: 1, vmHwmKb: procStatusKb('VmHWM') });
  process.exit(1);
});
