import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Afi, Safi, afiOf, familyOfAfi, unicastFamily } from '../../../../src/bgp/index.js';

describe('AFI/SAFI <-> family', () => {
  it('maps the IANA numbers both ways', () => {
    assert.equal(familyOfAfi(1), 'ipv4');
    assert.equal(familyOfAfi(2), 'ipv6');
    assert.equal(afiOf('ipv4'), 1);
    assert.equal(afiOf('ipv6'), 2);
    assert.equal(unicastFamily(Afi.Ipv6, Safi.Unicast), 'ipv6');
    for (const family of ['ipv4', 'ipv6'] as const)
      assert.equal(unicastFamily(afiOf(family), Safi.Unicast), family);
  });

  it('has no family for any other AFI or SAFI', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xff }),
        (afi, safi) => {
          const family = unicastFamily(afi, safi);
          if (safi === 1 && (afi === 1 || afi === 2))
            assert.equal(family, afi === 1 ? 'ipv4' : 'ipv6');
          else assert.equal(family, undefined);
        },
      ),
    );
  });
});
