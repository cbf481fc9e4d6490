/**
 * A next hop missing when the session came up is looked for again on the clock, and
 * the routes held back for its family go out once it is found (issue 12 item 4).
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock/index.js';
import { AdjRibOut } from '../../../src/bgp/adj-rib-out.js';
import type { RouteAttributes } from '../../../src/bgp/export-policy.js';
import { decodeMessage } from '../../../src/bgp/codec/index.js';
import { Connection } from '../../../src/bgp/connection.js';
import { NEXT_HOP_RETRY_MS, type AddressSource } from '../../../src/bgp/next-hop.js';
import { NextHopWatch, type NextHopFound } from '../../../src/bgp/next-hop-watch.js';
import type { PeerConfig } from '../../../src/bgp/peer-config.js';
import { parsePrefix, prefixKey } from '../../../src/bgp/prefix.js';
import type { UpdateMessage } from '../../../src/bgp/types.js';

const LOCAL = '198.18.0.2';
const GLOBAL_V6 = 'fd7e:1ab::2';

const peer: PeerConfig = {
  name: 'router',
  address: '198.18.0.1',
  port: 179,
  asn: 65001,
  passive: false,
  holdTime: 30,
  connectRetry: 5,
  maxConnectRetry: 120,
  openHoldTime: 240,
  families: ['ipv4', 'ipv6'],
  communities: [],
  largeCommunities: [],
  prepend: 0,
  localPref: 100,
  ttlSecurity: false,
};

function info(address: string, family: 'IPv4' | 'IPv6'): NetworkInterfaceInfo {
  const common = { address, netmask: '', mac: '00:00:00:00:00:00', internal: false, cidr: null };
  return family === 'IPv4' ? { ...common, family } : { ...common, family, scopeid: 0 };
}

/** An interface holding the session's IPv4 address, whose global IPv6 address comes and goes. */
function movingAddresses(): { source: AddressSource; v6: (present: boolean) => void } {
  let present = false;
  return {
    source: () => ({
      lo: [{ ...info('127.0.0.1', 'IPv4'), internal: true }],
      veth0: [
        info(LOCAL, 'IPv4'),
        info('fe80::1', 'IPv6'),
        ...(present ? [info(GLOBAL_V6, 'IPv6')] : []),
      ],
    }),
    v6: (value) => (present = value),
  };
}

function watch(clock: ManualClock, source: AddressSource, found: NextHopFound[]): NextHopWatch {
  return new NextHopWatch({
    config: peer,
    localAsn: 65000,
    local: LOCAL,
    negotiated: ['ipv4', 'ipv6'],
    clock,
    addresses: source,
    onFound: (f) => found.push(f),
  });
}

describe('next hop watch', () => {
  it('looks again while IPv6 has no next hop and reports it once the address returns', () => {
    const clock = new ManualClock();
    const addresses = movingAddresses();
    const found: NextHopFound[] = [];
    const w = watch(clock, addresses.source, found);
    assert.deepEqual([...w.current.families], ['ipv4']);
    assert.equal(w.current.problems.length, 1);
    assert.match(w.current.problems[0] ?? '', /^no ipv6 next hop/);
    assert.equal(w.watching, true);

    clock.advance(NEXT_HOP_RETRY_MS * 3);
    assert.equal(found.length, 0, 'nothing found while the address is away');

    addresses.v6(true);
    clock.advance(NEXT_HOP_RETRY_MS);
    assert.equal(found.length, 1);
    assert.deepEqual(found[0]?.found, [{ family: 'ipv6', nextHop: GLOBAL_V6 }]);
    assert.deepEqual([...(found[0]?.families ?? [])].sort(), ['ipv4', 'ipv6']);
    assert.deepEqual(found[0]?.problems, []);
    assert.equal(found[0]?.context.nextHopIpv4, LOCAL, 'the IPv4 next hop is kept');
    assert.equal(w.watching, false, 'no more looking once every family has one');
    assert.equal(clock.timerCount, 0);
  });

  it('sets no timer when every family has a next hop, and stop() clears a pending one', () => {
    const clock = new ManualClock();
    const addresses = movingAddresses();
    addresses.v6(true);
    const complete = watch(clock, addresses.source, []);
    assert.equal(complete.watching, false);
    assert.equal(clock.timerCount, 0);

    addresses.v6(false);
    const found: NextHopFound[] = [];
    const missing = watch(clock, addresses.source, found);
    assert.equal(clock.timerCount, 1);
    missing.stop();
    assert.equal(clock.timerCount, 0);
    addresses.v6(true);
    clock.advance(NEXT_HOP_RETRY_MS * 2);
    assert.deepEqual(found, [], 'a stopped watch reports nothing');
  });
});

/** A socket that records every byte written to it. */
function recordingSocket(): { socket: Socket; updates: () => UpdateMessage[] } {
  const chunks: Buffer[] = [];
  const stream = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
    read() {},
  });
  const socket = Object.assign(stream, { setNoDelay: () => stream }) as unknown as Socket;
  const updates = (): UpdateMessage[] => {
    const all = Buffer.concat(chunks);
    const out: UpdateMessage[] = [];
    for (let at = 0; at < all.length;) {
      const length = all.readUInt16BE(at + 16);
      const message = decodeMessage(all.subarray(at, at + length), { fourOctetAs: true });
      if (message.type === 'update') out.push(message);
      at += length;
    }
    return out;
  };
  return { socket, updates };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Adj-RIB-Out widened by a found next hop', () => {
  it('sends the held-back IPv6 routes and re-sends nothing the peer has', async () => {
    const routes = new Map<string, RouteAttributes>();
    for (const text of ['203.0.113.10/32', '2001:db8::10/128'])
      routes.set(prefixKey(parsePrefix(text)), {});
    const rib = new AdjRibOut(routes);
    const { socket, updates } = recordingSocket();
    const connection = new Connection(
      socket,
      true,
      {
        message: () => undefined,
        protocolError: () => undefined,
        closed: () => undefined,
        drained: () => rib.drained(),
        sendHoldExpired: () => undefined,
      },
      new ManualClock(),
    );
    connection.context = { fourOctetAs: true };

    const clock = new ManualClock();
    const addresses = movingAddresses();
    const found: NextHopFound[] = [];
    const w = watch(clock, addresses.source, found);
    rib.start(connection, ['ipv4', 'ipv6'], w.current.context, w.current.families);
    await tick();
    const initial = updates();
    assert.equal(rib.size, 1, 'only the IPv4 route went out');
    const ipv6Reach = (u: UpdateMessage): number => u.attributes.mpReach?.nlri.length ?? 0;
    assert.equal(
      initial.reduce((n, u) => n + ipv6Reach(u), 0),
      0,
    );

    addresses.v6(true);
    clock.advance(NEXT_HOP_RETRY_MS);
    const first = found[0];
    assert.ok(first !== undefined);
    rib.widenExport(first.context, first.families);
    await tick();
    const later = updates().slice(initial.length);
    assert.equal(rib.size, 2);
    assert.equal(later.length, 1, 'one UPDATE: the IPv6 route, nothing re-sent');
    assert.equal(later[0]?.attributes.mpReach?.nextHop, GLOBAL_V6);
    assert.equal(later[0]?.nlri.length, 0, 'no IPv4 route re-sent');
  });
});
