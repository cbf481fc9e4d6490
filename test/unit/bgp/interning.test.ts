// Path attribute interning: routes with equal attributes share one attributes object in
// the speaker's table and one encoded copy per session, so a table of 100,000 routes with
// a handful of attribute sets holds a handful of them; a change makes a separate one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdjRibOut } from '../../../src/bgp/adj-rib-out.js';
import type { Connection } from '../../../src/bgp/connection.js';
import type { ExportContext, RouteAttributes } from '../../../src/bgp/export-policy.js';
import { decodeMessage } from '../../../src/bgp/codec/index.js';
import { BgpSpeaker } from '../../../src/bgp/index.js';
import { parsePrefix, prefixKey } from '../../../src/bgp/prefix.js';

function speaker(): BgpSpeaker {
  return new BgpSpeaker({ asn: 65001, routerId: '198.18.0.1' });
}

function attributesOf(s: BgpSpeaker, prefix: string): RouteAttributes | undefined {
  return s.announced().find((r) => r.prefix === prefix)?.attributes;
}

describe('attribute interning', () => {
  it('equal attributes, however written, are one object', () => {
    const s = speaker();
    s.announce('203.0.113.1/32', { med: 10, communities: ['65001:1', '65001:2'] });
    s.announce('203.0.113.2/32', { communities: ['65001:2', '65001:1'], med: 10 });
    s.announce('2001:db8::1/128', { med: 10, communities: ['65001:1', '65001:2'] });
    const a = attributesOf(s, '203.0.113.1/32');
    assert.ok(a !== undefined);
    assert.equal(attributesOf(s, '203.0.113.2/32'), a);
    assert.equal(attributesOf(s, '2001:db8::1/128'), a);
  });

  it('changed attributes are a separate object; the others keep theirs', () => {
    const s = speaker();
    s.announce('203.0.113.1/32', { med: 10 });
    s.announce('203.0.113.2/32', { med: 10 });
    const shared = attributesOf(s, '203.0.113.1/32');
    s.announce('203.0.113.2/32', { med: 20 });
    const changed = attributesOf(s, '203.0.113.2/32');
    assert.notEqual(changed, shared);
    assert.deepEqual(changed, { med: 20 });
    assert.equal(attributesOf(s, '203.0.113.1/32'), shared);
    assert.deepEqual(shared, { med: 10 });
    // Back to the first set: the same object as before.
    s.announce('203.0.113.2/32', { med: 10 });
    assert.equal(attributesOf(s, '203.0.113.2/32'), shared);
  });

  it('one encoded copy per attribute set and session: equal attributes share UPDATEs', async () => {
    const table = new Map<string, RouteAttributes>();
    const one: RouteAttributes = { med: 1 };
    const two: RouteAttributes = { med: 2 };
    for (let i = 0; i < 300; i++)
      table.set(prefixKey(parsePrefix(`198.18.${i >> 8}.${i & 255}/32`)), i % 2 === 0 ? one : two);
    const messages: Uint8Array[] = [];
    const connection = {
      context: { fourOctetAs: true },
      needsDrain: false,
      isOpen: true,
      pendingBytes: 0,
      write(bytes: Uint8Array) {
        messages.push(bytes);
        return true;
      },
      socket: { write: (_: Uint8Array, done?: () => void) => done?.() },
    } as unknown as Connection;
    const context: ExportContext = {
      localAsn: 65001,
      ibgp: false,
      prepend: 0,
      communities: [],
      largeCommunities: [],
      localPref: 100,
      nextHopIpv4: '198.18.0.1',
    };
    const rib = new AdjRibOut(table);
    rib.start(connection, ['ipv4'], context, new Set(['ipv4']));
    await rib.flushed();
    const updates = messages.map((m) => decodeMessage(m, { fourOctetAs: true }));
    const meds = updates.flatMap((u) =>
      u.type === 'update' && u.nlri.length > 0 ? [u.attributes.med] : [],
    );
    assert.deepEqual(meds, [1, 2], 'two attribute sets: two UPDATEs, 150 routes each');
    assert.equal(rib.size, 300);
  });
});
