import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, nlriLength } from '../../../src/bgp/codec/index.js';
import { exportAttributes, type ExportContext } from '../../../src/bgp/export-policy.js';
import {
  formatPrefix,
  keyNlriLength,
  parsePrefix,
  parsePrefixFully,
  prefixFromBytes,
  prefixFromKey,
  prefixKey,
  type Family,
  type Prefix,
} from '../../../src/bgp/prefix.js';
import type { MpReach, UpdateMessage } from '../../../src/bgp/types.js';
import {
  encodeForPacking,
  endOfRib,
  packAnnouncements,
  packWithdrawals,
} from '../../../src/bgp/update-packer.js';

const context: ExportContext = {
  localAsn: 65001,
  ibgp: false,
  nextHopIpv4: '198.18.0.1',
  nextHopIpv6: 'fd7e:1ab::1',
  communities: [65001 * 65536 + 100],
  largeCommunities: [{ global: 65001, local1: 1, local2: 2 }],
  prepend: 0,
  localPref: 100,
};

function encoded(family: Family) {
  const attributes = exportAttributes({}, family, context);
  assert.ok(attributes !== undefined);
  return { attributes, encoded: encodeForPacking(family, attributes, { fourOctetAs: true }) };
}

const prefixArb = (family: Family): fc.Arbitrary<Prefix> =>
  fc
    .tuple(
      fc.integer({ min: 0, max: family === 'ipv4' ? 32 : 128 }),
      fc.uint8Array({
        minLength: family === 'ipv4' ? 4 : 16,
        maxLength: family === 'ipv4' ? 4 : 16,
      }),
    )
    .map(([length, bytes]) => prefixFromBytes(family, length, bytes));

function collect(pack: (emit: (m: Uint8Array) => void) => void): Uint8Array[] {
  const out: Uint8Array[] = [];
  pack((m) => out.push(m));
  return out;
}

describe('prefix keys', () => {
  it('the IPv4 shortcut of parsePrefix agrees with the full parser, mistakes included', () => {
    const outcome = (parse: (t: string) => Prefix, text: string): string => {
      try {
        return formatPrefix(parse(text));
      } catch (error) {
        return `error: ${(error as Error).message}`;
      }
    };
    const ipv4ish = fc.oneof(
      prefixArb('ipv4').map(formatPrefix),
      fc
        .tuple(
          fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 5 }),
          fc.nat(40),
        )
        .map(([parts, length]) => `${parts.join('.')}/${length}`),
      fc.stringMatching(/^[0-9./ ]{0,20}$/),
    );
    fc.assert(
      fc.property(ipv4ish, (text) => {
        assert.equal(outcome(parsePrefix, text), outcome(parsePrefixFully, text));
      }),
      { numRuns: 2000 },
    );
  });

  it('a key gives its prefix back, and equal prefixes give equal keys', () => {
    for (const family of ['ipv4', 'ipv6'] as const)
      fc.assert(
        fc.property(prefixArb(family), (prefix) => {
          const key = prefixKey(prefix);
          assert.deepEqual(prefixFromKey(key), prefix);
          assert.equal(prefixKey(parsePrefix(formatPrefix(prefix))), key);
          assert.equal(keyNlriLength(key), nlriLength(prefix));
        }),
      );
  });
});

describe('update packing (4,096-byte limit)', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`${family}: every prefix lands in exactly one UPDATE, each within 4096 bytes, attributes intact`, () => {
      const { attributes, encoded: e } = encoded(family);
      fc.assert(
        fc.property(fc.array(prefixArb(family), { maxLength: 1500 }), (prefixes) => {
          const carried: string[] = [];
          for (const bytes of collect((emit) =>
            packAnnouncements(e, prefixes.map(prefixKey), emit),
          )) {
            assert.ok(bytes.length <= 4096, `UPDATE of ${bytes.length} bytes`);
            const decoded = decodeMessage(bytes, { fourOctetAs: true });
            assert.ok(decoded.type === 'update');
            const nlri =
              family === 'ipv4' ? decoded.nlri : (decoded.attributes.mpReach?.nlri ?? []);
            carried.push(...nlri.map(formatPrefix));
            const { mpReach, ...rest } = decoded.attributes;
            const { mpReach: wantReach, ...wantRest } = attributes;
            assert.deepEqual(rest, wantRest);
            if (family === 'ipv6') assert.equal(mpReach?.nextHop, wantReach?.nextHop);
          }
          assert.deepEqual(carried, prefixes.map(formatPrefix));
        }),
        { numRuns: 60 },
      );
    });

    it(`${family}: withdrawals pack the same way`, () => {
      fc.assert(
        fc.property(fc.array(prefixArb(family), { maxLength: 1500 }), (prefixes) => {
          const carried: string[] = [];
          for (const bytes of collect((emit) =>
            packWithdrawals(family, prefixes.map(prefixKey), emit),
          )) {
            assert.ok(bytes.length <= 4096);
            const decoded = decodeMessage(bytes, { fourOctetAs: true });
            assert.ok(decoded.type === 'update');
            const withdrawn =
              family === 'ipv4'
                ? decoded.withdrawn
                : (decoded.attributes.mpUnreach?.withdrawn ?? []);
            carried.push(...withdrawn.map(formatPrefix));
          }
          assert.deepEqual(carried, prefixes.map(formatPrefix));
        }),
        { numRuns: 60 },
      );
    });
  }

  it('the same bytes as the codec encodes for the same UPDATE', () => {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const { attributes, encoded: e } = encoded(family);
      const prefixes = [parsePrefix(family === 'ipv4' ? '203.0.113.0/24' : '2001:db8::/48')];
      const [packed] = collect((emit) => packAnnouncements(e, prefixes.map(prefixKey), emit));
      const update: UpdateMessage =
        family === 'ipv4'
          ? { type: 'update', withdrawn: [], attributes, nlri: prefixes }
          : {
              type: 'update',
              withdrawn: [],
              attributes: {
                ...attributes,
                mpReach: { ...(attributes.mpReach as MpReach), nlri: prefixes },
              },
              nlri: [],
            };
      assert.deepEqual(packed, encodeMessage(update, { fourOctetAs: true }));
    }
  });

  it('fills UPDATEs: 100,000 IPv4 /32 take 125 messages at most', () => {
    const { encoded: e } = encoded('ipv4');
    const keys = Array.from({ length: 100_000 }, (_, i) =>
      prefixKey(
        prefixFromBytes('ipv4', 32, Uint8Array.of(198, 18 + (i >> 16), (i >> 8) & 255, i & 255)),
      ),
    );
    const updates = collect((emit) => packAnnouncements(e, keys, emit));
    // (4096 - 23 - attributes) / 5 bytes per /32 ≈ 800 prefixes per UPDATE.
    assert.ok(updates.length <= 125, `${updates.length} UPDATEs`);
  });

  it('End-of-RIB is an empty UPDATE for IPv4 and an empty MP_UNREACH_NLRI for IPv6 (RFC 4724)', () => {
    assert.deepEqual(
      [...encodeMessage(endOfRib('ipv4'), { fourOctetAs: true })].slice(16),
      [0, 23, 2, 0, 0, 0, 0],
    );
    const v6 = decodeMessage(encodeMessage(endOfRib('ipv6'), { fourOctetAs: true }), {
      fourOctetAs: true,
    });
    assert.ok(v6.type === 'update');
    assert.deepEqual(v6.attributes.mpUnreach, { afi: 2, safi: 1, withdrawn: [] });
  });
});

describe('export policy', () => {
  it('eBGP: own AS first, prepends, merged sorted communities, MED override', () => {
    const attributes = exportAttributes(
      { prepend: 1, med: 7, communities: [1, 65001 * 65536 + 100] },
      'ipv4',
      { ...context, prepend: 1, med: 3 },
    );
    assert.deepEqual(attributes?.asPath, [{ type: 'sequence', asns: [65001, 65001, 65001] }]);
    assert.equal(attributes?.med, 7);
    assert.deepEqual(attributes?.communities, [1, 65001 * 65536 + 100]);
    assert.equal(attributes?.localPref, undefined, 'no LOCAL_PREF to external peers');
  });

  it('iBGP: empty AS path and LOCAL_PREF', () => {
    const attributes = exportAttributes({}, 'ipv4', { ...context, ibgp: true, localPref: 300 });
    assert.deepEqual(attributes?.asPath, []);
    assert.equal(attributes?.localPref, 300);
  });

  it('a family without a next hop is not exported', () => {
    const { nextHopIpv6: _, ...withoutV6 } = context;
    assert.equal(exportAttributes({}, 'ipv6', withoutV6), undefined);
  });
});
