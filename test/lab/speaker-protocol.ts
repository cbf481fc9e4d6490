/**
 * The JSON-lines protocol between a test (SpeakerProcess, the parent) and our speaker
 * running inside a lab namespace (speaker-process.ts, the child).
 *
 * stdin, one command per line:   {"id":1,"op":"announce","prefixes":["203.0.113.1/32"],"attributes":{...}}
 * stdout, one event per line:    {"event":"reply","id":1,"ok":true,"result":...}
 *                                {"event":"peer-state","at":1795456249232.4,"status":{...}}
 * Timestamps (`at`) are epoch milliseconds with sub-ms precision
 * (performance.timeOrigin + performance.now()), comparable across processes.
 * The child's pino log goes to stderr.
 */
import type {
  AnnounceAttributes,
  PeerOptions,
  PeerStatus,
  ReceivedRoute,
  SpeakerOptions,
} from '../../src/bgp/index.js';

export interface SpeakerProcessConfig {
  /** BgpSpeaker options (JSON: no logger, clock or random). */
  speaker: Omit<SpeakerOptions, 'logger' | 'clock' | 'random'>;
  /** pino level for the child's stderr log (default "info"). */
  logLevel?: string;
  /**
   * Run as `anycast-guard run` runs, for the transfer benchmark's RSS: node without
   * --enable-source-maps, and the modules `run` loads loaded before the speaker starts.
   */
  asDaemon?: boolean;
}

export type SpeakerCommand =
  | { id: number; op: 'announce'; prefixes: string[]; attributes?: AnnounceAttributes }
  | { id: number; op: 'withdraw'; prefixes: string[] }
  /** `count` consecutive host prefixes (/32 or /128) from `start`. */
  | {
      id: number;
      op: 'announce-range';
      start: string;
      count: number;
      attributes?: AnnounceAttributes;
    }
  | { id: number; op: 'withdraw-range'; start: string; count: number }
  | { id: number; op: 'status' }
  | { id: number; op: 'flushed' }
  | { id: number; op: 'received-routes' }
  /** A reload that changes only this peer's `bfd` (BgpSpeaker.setPeerBfd). */
  | { id: number; op: 'set-bfd'; address: string; bfd?: PeerOptions['bfd'] }
  /** Withdraw all, Cease with this shutdown message, exit. */
  | { id: number; op: 'stop'; message?: string };

export type SpeakerOp = SpeakerCommand['op'];

export interface SpeakerStatusResult {
  peers: PeerStatus[];
  /** Current and peak resident set size of the child, kB (/proc/self/status VmRSS, VmHWM). */
  vmRssKb: number;
  vmHwmKb: number;
}

export interface SpeakerResults {
  announce: { count: number };
  withdraw: { count: number };
  'announce-range': { count: number; first: string; last: string };
  'withdraw-range': { count: number };
  status: SpeakerStatusResult;
  flushed: { at: number };
  'received-routes': ReceivedRoute[];
  'set-bfd': { at: number };
  stop: { at: number };
}

export type SpeakerEvent =
  | { event: 'ready'; at: number; pid: number }
  | { event: 'peer-state'; at: number; status: PeerStatus }
  | { event: 'reply'; id: number; ok: true; result: unknown }
  | { event: 'reply'; id: number; ok: false; error: { message: string; code?: string } }
  | { event: 'error'; at: number; message: string }
  | { event: 'exit'; at: number; code: number; vmHwmKb: number };

/** Epoch ms with sub-millisecond precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
