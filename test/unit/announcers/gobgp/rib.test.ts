// Reading gobgp's JSON RIB (captured from GoBGP 3.10, fixtures.ts): only local paths, every
// attribute the announcer sets, the shapes of its errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnnouncerFailure } from '../../../../src/announcers/index.js';
import {
  jsonError,
  parseGlobalAsn,
  parseLocalPaths,
} from '../../../../src/announcers/gobgp/rib.js';
import * as f from './fixtures.js';

describe('parseLocalPaths', () => {
  it('keeps local paths only: what neighbours sent (neighbor-ip) is not ours', () => {
    const paths = parseLocalPaths(f.RIB_IPV4, 'rib');
    assert.deepEqual([...paths.keys()], ['203.0.113.54/32']);
    assert.deepEqual(paths.get('203.0.113.54/32'), {
      origin: 'igp',
      asPath: [65001, 65001],
      med: 0,
      localPref: 200,
      communities: [4259905636, 4294967041],
      largeCommunities: ['65001:1:2', '65001:2:1'],
    });
  });

  it('a prefix both we and a neighbour have: our path, not theirs', () => {
    const paths = parseLocalPaths(f.RIB_SHARED_PREFIX, 'rib');
    assert.deepEqual(paths.get('203.0.113.53/32'), {
      origin: 'igp',
      asPath: [],
      med: 3,
      communities: [],
      largeCommunities: [],
    });
  });

  it('IPv6: the next hop from MP_REACH_NLRI (type 14)', () => {
    const paths = parseLocalPaths(f.RIB_IPV6, 'rib');
    assert.deepEqual(paths.get('2001:db8::53/128'), {
      origin: 'igp',
      asPath: [],
      med: 7,
      communities: [4259905543],
      largeCommunities: [],
      nextHop: 'fd7e:1ab:0:f0::1',
    });
  });

  it('a bare add: origin incomplete, 0.0.0.0 read as "gobgpd picks the next hop"', () => {
    assert.deepEqual(parseLocalPaths(f.RIB_BARE, 'rib').get('203.0.113.55/32'), {
      origin: 'incomplete',
      asPath: [],
      communities: [],
      largeCommunities: [],
    });
    assert.equal(parseLocalPaths(f.RIB_EMPTY, 'rib').size, 0);
  });

  it('prefixes are canonical', () => {
    const text = f.RIB_IPV6.replace(/2001:db8::53\/128/g, '2001:0db8:0::53/128');
    assert.deepEqual([...parseLocalPaths(text, 'rib').keys()], ['2001:db8::53/128']);
  });

  it('what is not gobgp JSON is ANNOUNCER_BAD_OUTPUT naming the command', () => {
    for (const text of ['context deadline exceeded', '[]', '{"x":1}', '{"x":[{"nlri":{}}]}'])
      assert.throws(
        () => parseLocalPaths(text, 'gobgp -j global rib -a ipv4'),
        (e: unknown) =>
          e instanceof AnnouncerFailure &&
          e.code === 'ANNOUNCER_BAD_OUTPUT' &&
          e.message.startsWith('gobgp -j global rib -a ipv4'),
        text,
      );
  });
});

describe('jsonError and parseGlobalAsn', () => {
  it('reads {"error": …} and nothing else', () => {
    assert.equal(jsonError(f.DOWN_JSON), 'context deadline exceeded');
    assert.match(jsonError(f.NOT_STARTED_JSON) ?? '', /hasn't started yet/);
    assert.equal(jsonError(f.RIB_IPV4), undefined);
    assert.equal(jsonError(f.DOWN_TEXT), undefined);
  });

  it('the global AS, or undefined before gobgpd has a [global]', () => {
    assert.equal(parseGlobalAsn(f.GLOBAL, 'global'), 65001);
    assert.equal(parseGlobalAsn(f.GLOBAL_NOT_STARTED, 'global'), undefined);
    assert.throws(() => parseGlobalAsn('nope', 'global'), /global: not JSON/);
  });
});
