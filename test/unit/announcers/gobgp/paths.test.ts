// GoBGP paths as wire bytes: what the announcer sends reads back as the same path (a
// property over wide inputs), what a real gobgpd 3.10 answered in ListPath reads as
// expected, and only local paths are read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodePath,
  encodePath,
  localPaths,
  type GobgpPath,
} from '../../../../src/announcers/gobgp/paths.js';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const sortedSet = <T extends number | string>(arb: fc.Arbitrary<T>) =>
  fc
    .uniqueArray(arb, { maxLength: 5 })
    .map((xs) =>
      [...xs].sort((a, b) =>
        typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
      ),
    );

const pathArb: fc.Arbitrary<GobgpPath> = fc.record(
  {
    origin: fc.constantFrom('igp' as const, 'egp' as const, 'incomplete' as const),
    asPath: fc.array(fc.integer({ min: 1, max: 0xffffffff }), { maxLength: 6 }),
    med: u32,
    localPref: u32,
    communities: sortedSet(u32),
    largeCommunities: sortedSet(fc.tuple(u32, u32, u32).map((t) => t.join(':'))),
  },
  { requiredKeys: ['origin', 'asPath', 'communities', 'largeCommunities'] },
);

describe('GoBGP paths', () => {
  it('encodePath then decodePath gives the path back (IPv4 and IPv6)', () => {
    fc.assert(
      fc.property(pathArb, fc.boolean(), (path, v6) => {
        const prefix = v6 ? '2001:db8:5::/48' : '203.0.113.0/24';
        const api = encodePath(prefix, path);
        assert.deepEqual(decodePath(api.pattrs_binary ?? [], prefix), { ...path });
      }),
    );
  });

  it('the NLRI and the next hop gobgpd needs: NEXT_HOP for IPv4, MP_REACH_NLRI for IPv6', () => {
    const bare: GobgpPath = { origin: 'igp', asPath: [], communities: [], largeCommunities: [] };
    const v4 = encodePath('203.0.113.0/24', bare);
    assert.deepEqual(v4.family, { afi: 1, safi: 1 });
    assert.deepEqual([...(v4.nlri_binary ?? [])], [24, 203, 0, 113]);
    assert.ok(
      v4.pattrs_binary?.some((a) => a[1] === 3),
      'NEXT_HOP 0.0.0.0',
    );
    const v6 = encodePath('2001:db8:1::/48', { ...bare, nextHop: 'fd7e:1ab:0:1::1' }, true);
    assert.deepEqual(v6.family, { afi: 2, safi: 1 });
    assert.equal(v6.is_withdraw, true);
    assert.equal(v6.pattrs_binary?.[0]?.[1], 14, 'MP_REACH_NLRI first');
    assert.equal(decodePath(v6.pattrs_binary ?? [], 'v6').nextHop, 'fd7e:1ab:0:1::1');
  });

  it('reads what gobgpd 3.10 answered; neighbours’ paths are not ours', () => {
    // ListPath (enable_only_binary) after AddPathStream of 203.0.113.0/24 with AS_PATH
    // [65001], MED 5; and of 2001:db8:1::/48 with next hop ::. A neighbour's path beside.
    const paths = localPaths(
      [
        {
          prefix: '203.0.113.0/24',
          paths: [
            {
              neighbor_ip: '<nil>',
              pattrs_binary: [
                '40010100',
                '40020602010000fde9',
                '80040400000005',
                '40030400000000',
              ].map(hex),
            },
            { neighbor_ip: '198.18.0.2', pattrs_binary: ['40010100', '40030400000000'].map(hex) },
          ],
        },
        {
          prefix: '2001:db8:1::/48',
          paths: [
            {
              neighbor_ip: '<nil>',
              pattrs_binary: [
                '40010100',
                '800e1c0002011000000000000000000000000000000000003020010db80001',
              ].map(hex),
            },
          ],
        },
        { prefix: '198.51.100.0/24', paths: [{ neighbor_ip: '198.18.0.2', pattrs_binary: [] }] },
      ],
      'ListPath',
    );
    assert.deepEqual(Object.fromEntries(paths), {
      '203.0.113.0/24': {
        origin: 'igp',
        asPath: [65001],
        med: 5,
        communities: [],
        largeCommunities: [],
      },
      '2001:db8:1::/48': { origin: 'igp', asPath: [], communities: [], largeCommunities: [] },
    });
  });
});
