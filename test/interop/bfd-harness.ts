/**
 * BFD labs: our speaker in "node", a router in "router", joined through a bridge in a
 * middle namespace (test/lab/bridge.ts) so the node's side can go silent while the
 * router's link stays up. Parsers for what BIRD and FRR say about their BFD sessions.
 */
import type { TestContext } from 'node:test';
import type { BfdPeerStatus } from '../../src/bfd/index.js';
import {
  BIRD_TEST_TIMERS,
  bridgedLink,
  Lab,
  waitFor,
  type BirdRouter,
  type BridgedLink,
  type Link,
  type SpeakerProcess,
} from '../lab/index.js';
import { NODE_AS, ROUTER_AS, speakerConfig } from './harness.js';

export const BFD_PREFIX = '203.0.113.61/32';

export interface BirdBfdSession {
  address: string;
  state: string;
  /** Milliseconds: BIRD's "Interval" (its transmit interval) and "Timeout" (detection time). */
  intervalMs: number;
  timeoutMs: number;
}

/** `show bfd sessions`: "198.18.0.1   veth0   Up   12:00:00.000   0.100   0.300". */
export function parseBirdBfdSessions(text: string): BirdBfdSession[] {
  const out: BirdBfdSession[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^\s*([0-9a-f.:]+)\s+(\S+)\s+(Up|Down|Init|AdminDown)\s+.*?\s([0-9.]+)\s+([0-9.]+)\s*$/.exec(
        line,
      );
    if (m?.[1] === undefined || m[3] === undefined || m[4] === undefined || m[5] === undefined)
      continue;
    out.push({
      address: m[1],
      state: m[3],
      intervalMs: Math.round(Number(m[4]) * 1000),
      timeoutMs: Math.round(Number(m[5]) * 1000),
    });
  }
  return out;
}

export async function birdBfd(
  router: BirdRouter,
  address: string,
): Promise<BirdBfdSession | undefined> {
  return parseBirdBfdSessions(await router.birdc('show bfd sessions')).find(
    (s) => s.address === address,
  );
}

/** BIRD as the router: `protocol bfd` at `intervalMs` x `multiplier`, and `bfd on` in the BGP protocol. */
export function birdBfdConf(
  link: Link,
  intervalMs = 100,
  multiplier = 3,
  protocol = 'node',
): string {
  return `
router id ${link.b.ipv4};
protocol device {}
protocol bfd bfd1 {
  interface "*" { min rx interval ${intervalMs} ms; min tx interval ${intervalMs} ms; multiplier ${multiplier}; };
}
protocol bgp ${protocol} {
  local ${link.b.ipv4} as ${ROUTER_AS};
  neighbor ${link.a.ipv4} as ${NODE_AS};
  passive on;
  hold time 9;
  bfd on;
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`;
}

export async function bridgedLab(t: TestContext): Promise<{ lab: Lab; link: BridgedLink }> {
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const node = await lab.namespace('node');
  const router = await lab.namespace('router');
  return { lab, link: await bridgedLink(lab, node, router) };
}

/** Our speaker with one peer (the router) with `bfd` and a 9 s hold time. */
export function bfdSpeakerConfig(
  link: BridgedLink,
  bfd: { minRx: number; minTx: number; multiplier: number; required: boolean } = {
    minRx: 0.1,
    minTx: 0.1,
    multiplier: 3,
    required: false,
  },
): ReturnType<typeof speakerConfig> {
  return speakerConfig(link, ROUTER_AS, { bfd, holdTime: 9 });
}

export async function ourBfd(
  speaker: SpeakerProcess,
  until: (bfd: BfdPeerStatus) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<BfdPeerStatus> {
  const status = await waitFor(async () => (await speaker.peerStatus('router')).bfd, {
    what,
    timeoutMs,
    until: (bfd) => bfd !== undefined && until(bfd),
  });
  if (status === undefined) throw new Error('unreachable');
  return status;
}
