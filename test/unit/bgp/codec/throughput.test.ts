// A full-table transfer as the speaker sends it: 100,000 IPv4 /32 in 125 UPDATEs
// and 20,000 IPv6 /128 in MP_REACH_NLRI, through the framer and back. Timings are
// printed as diagnostics only: performance is measured in bench/, not asserted here.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import {
  MessageFramer,
  decodeMessage,
  encodeMessage,
  nlriLength,
} from '../../../../src/bgp/codec/index.js';
import type { Prefix } from '../../../../src/bgp/prefix.js';
import type { PathAttributes, UpdateMessage } from '../../../../src/bgp/types.js';
import { AS4 } from './support.js';

const attributes: PathAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [65001] }],
  nextHop: '198.18.0.1',
  communities: [0xfde90064],
  largeCommunities: [{ global: 65001, local1: 1, local2: 2 }],
};

function v4(i: number): Prefix {
  return {
    family: 'ipv4',
    length: 32,
    bytes: Uint8Array.of(198, 18 + ((i + 4096) >> 16), ((i + 4096) >> 8) & 0xff, i & 0xff),
  };
}

function v6(i: number): Prefix {
  const bytes = new Uint8Array(16);
  bytes.set([0x20, 0x01, 0x0d, 0xb8]);
  bytes[14] = i >> 8;
  bytes[15] = i & 0xff;
  return { family: 'ipv6', length: 128, bytes };
}

it('round-trips a full table: 100,000 IPv4 /32 and 20,000 IPv6 /128 through the framer', (t) => {
  const ipv4 = Array.from({ length: 100_000 }, (_, i) => v4(i));
  const ipv6 = Array.from({ length: 20_000 }, (_, i) => v6(i));
  assert.equal(nlriLength(ipv4[0]!), 5);
  assert.equal(nlriLength(ipv6[0]!), 17);

  const t0 = performance.now();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < ipv4.length; i += 800) {
    frames.push(
      encodeMessage(
        { type: 'update', withdrawn: [], attributes, nlri: ipv4.slice(i, i + 800) },
        AS4,
      ),
    );
  }
  const v4Frames = frames.length;
  for (let i = 0; i < ipv6.length; i += 235) {
    const mpReach = { afi: 2, safi: 1, nextHop: '2001:db8::1', nlri: ipv6.slice(i, i + 235) };
    frames.push(
      encodeMessage(
        {
          type: 'update',
          withdrawn: [],
          attributes: { origin: 'igp', asPath: [], mpReach },
          nlri: [],
        },
        AS4,
      ),
    );
  }
  const t1 = performance.now();
  assert.equal(v4Frames, 125);
  assert.ok(frames.every((f) => f.length <= 4096));

  const stream = Buffer.concat(frames);
  const framer = new MessageFramer();
  const t2 = performance.now();
  let count4 = 0;
  let count6 = 0;
  let last: UpdateMessage | undefined;
  for (let o = 0; o < stream.length; o += 65536) {
    framer.push(stream.subarray(o, o + 65536));
    for (let f = framer.next(); f !== null; f = framer.next()) {
      const msg = decodeMessage(f, AS4);
      assert.equal(msg.type, 'update');
      count4 += msg.nlri.length;
      count6 += msg.attributes.mpReach?.nlri.length ?? 0;
      last = msg;
    }
  }
  const t3 = performance.now();

  assert.equal(count4, 100_000);
  assert.equal(count6, 20_000);
  assert.deepStrictEqual(last?.attributes.mpReach?.nlri.at(-1), ipv6.at(-1));
  t.diagnostic(
    `encode ${frames.length} UPDATEs: ${(t1 - t0).toFixed(1)} ms; frame + decode: ${(t3 - t2).toFixed(1)} ms`,
  );
});
