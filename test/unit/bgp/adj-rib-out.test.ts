// The Adj-RIB-Out when the speaker's table is emptied (a stop): everything the peer has
// from us is withdrawn, walked from what was sent, and nothing it never got.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdjRibOut } from '../../../src/bgp/adj-rib-out.js';
import type { Connection } from '../../../src/bgp/connection.js';
import type { ExportContext, RouteAttributes } from '../../../src/bgp/export-policy.js';
import { decodeMessage } from '../../../src/bgp/codec/index.js';
import { formatPrefix, parsePrefix, prefixKey } from '../../../src/bgp/prefix.js';
import type { Prefix } from '../../../src/bgp/prefix.js';

const CONTEXT: ExportContext = {
  localAsn: 65001,
  ibgp: false,
  prepend: 0,
  communities: [],
  largeCommunities: [],
  localPref: 100,
  nextHopIpv4: '198.18.0.1',
  nextHopIpv6: '2001:db8:1::1',
};

/** A connection that records what is written; `needsDrain` turns on after `room` writes. */
function recorder(room = Infinity) {
  const messages: Uint8Array[] = [];
  const connection = {
    context: { fourOctetAs: true },
    get needsDrain() {
      return messages.length >= room;
    },
    isOpen: true,
    pendingBytes: 0,
    write(bytes: Uint8Array) {
      messages.push(bytes);
      return true;
    },
    socket: { write: (_: Uint8Array, done?: () => void) => done?.() },
  };
  return { messages, connection: connection as unknown as Connection };
}

function table(v4: number, v6: number): Map<string, RouteAttributes> {
  const shared: RouteAttributes = {};
  const routes = new Map<string, RouteAttributes>();
  for (let i = 0; i < v4; i++)
    routes.set(prefixKey(parsePrefix(`198.18.${i >> 8}.${i & 255}/32`)), shared);
  for (let i = 0; i < v6; i++)
    routes.set(prefixKey(parsePrefix(`2001:db8:b::${i.toString(16)}/128`)), shared);
  return routes;
}

/** Announced and withdrawn prefixes of the messages, as text. */
function changes(messages: readonly Uint8Array[]): { announced: string[]; withdrawn: string[] } {
  const announced: string[] = [];
  const withdrawn: string[] = [];
  const text = (list: readonly Prefix[] | undefined) => (list ?? []).map(formatPrefix);
  for (const bytes of messages) {
    const m = decodeMessage(bytes, { fourOctetAs: true });
    if (m.type !== 'update') continue;
    announced.push(...text(m.nlri), ...text(m.attributes.mpReach?.nlri));
    withdrawn.push(...text(m.withdrawn), ...text(m.attributes.mpUnreach?.withdrawn));
  }
  return { announced, withdrawn };
}

describe('AdjRibOut.tableCleared', () => {
  it('withdraws every route the peer has, in both families', async () => {
    const routes = table(300, 50);
    const { messages, connection } = recorder();
    const rib = new AdjRibOut(routes);
    rib.start(connection, ['ipv4', 'ipv6'], CONTEXT, new Set(['ipv4', 'ipv6']));
    await rib.flushed();
    const sent = changes(messages).announced;
    assert.equal(sent.length, 350);
    messages.length = 0;
    routes.clear();
    rib.tableCleared();
    await rib.flushed();
    const after = changes(messages);
    assert.deepEqual(after.announced, []);
    assert.deepEqual([...after.withdrawn].sort(), [...sent].sort());
    assert.equal(rib.size, 0);
  });

  it('during the initial send, withdraws only what went out and sends nothing more', async () => {
    const routes = table(9000, 0);
    // Two UPDATEs out, then the socket is full: part of the table sent, the rest not yet.
    const { messages, connection } = recorder(2);
    const rib = new AdjRibOut(routes);
    rib.start(connection, ['ipv4'], CONTEXT, new Set(['ipv4']));
    await new Promise((resolve) => setImmediate(resolve));
    const sent = changes(messages).announced;
    assert.ok(sent.length > 0 && sent.length < 9000, `${sent.length} sent before the drain`);
    assert.equal(rib.size, sent.length);
    routes.clear();
    rib.tableCleared();
    messages.length = 0;
    // The socket drains: the rest of the flush runs.
    const done = rib.flushed();
    Object.defineProperty(connection, 'needsDrain', { value: false });
    rib.drained();
    await done;
    const after = changes(messages);
    assert.deepEqual(after.announced, []);
    assert.deepEqual([...after.withdrawn].sort(), [...sent].sort());
    assert.equal(rib.size, 0);
  });
});
