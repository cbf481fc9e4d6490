import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distanceKm, rankNodes, SiteMap } from '../../../src/director/locate.js';
import type { NodeAd } from '../../../src/director/ad.js';
import { nodeAd } from './support.js';

const T = 1_700_000_000_000;
const AMS = { lat: 52.37, lon: 4.9 };
const FRA = { lat: 50.11, lon: 8.68 };
const NYC = { lat: 40.71, lon: -74.0 };

function at(
  origin: string,
  place: { lat: number; lon: number } | undefined,
  extra: { site?: string; load?: number; state?: 'up' | 'down' | 'guarded' } = {},
): NodeAd {
  const ad = nodeAd({
    origin,
    issuedAt: T,
    ...(extra.site === undefined ? {} : { site: extra.site }),
    load: extra.load ?? 0.5,
    services: [{ name: 'web', state: extra.state ?? 'up', prefixes: [] }],
  });
  return { ...ad, node: { ...ad.node, ...(place ?? {}) } };
}

const sites = new SiteMap([
  { name: 'ams', subnets: ['10.1.0.0/16', '2001:db8:1::/48'], ...AMS },
  { name: 'ams-lab', subnets: ['10.1.99.0/24'], ...AMS },
  { name: 'nyc', subnets: ['10.3.0.0/16'], ...NYC },
]);

describe('client places', () => {
  it('maps a client to its site by the longest matching subnet, IPv4 and IPv6', () => {
    assert.equal(sites.place('10.1.2.3').site, 'ams');
    assert.equal(sites.place('10.1.99.3').site, 'ams-lab');
    assert.equal(sites.place('2001:db8:1::7').site, 'ams');
    assert.equal(sites.place('::ffff:10.3.0.1').site, 'nyc');
    assert.deepEqual(sites.place('172.16.0.1'), { ip: '172.16.0.1' });
    assert.deepEqual(sites.place('not-an-ip'), {});
  });

  it('measures great-circle distances', () => {
    const km = distanceKm(AMS, NYC);
    assert.ok(km > 5800 && km < 5900, String(km));
    assert.equal(distanceKm(AMS, AMS), 0);
  });
});

describe('ranking', () => {
  const client = sites.place('10.1.2.3');

  it('same site first, then distance, then load; down nodes left out', () => {
    const ranked = rankNodes(
      [
        at('nyc-1', NYC, { site: 'nyc', load: 0 }),
        at('fra-1', FRA, { site: 'fra', load: 0.9 }),
        at('fra-2', FRA, { site: 'fra', load: 0.1 }),
        at('ams-1', AMS, { site: 'ams', load: 5 }),
        at('ams-down', AMS, { site: 'ams', state: 'down' }),
        at('nowhere', undefined, { load: 0 }),
      ],
      'web',
      client,
    );
    assert.deepEqual(
      ranked.map((n) => n.name),
      ['ams-1', 'fra-2', 'fra-1', 'nyc-1', 'nowhere'],
    );
    assert.equal(ranked[0]?.sameSite, true);
    assert.ok((ranked[1]?.distanceKm ?? 0) > 300);
  });

  it('never hands out a guarded node (it announces, degraded, only to keep the route)', () => {
    const ranked = rankNodes(
      [at('a', AMS, { state: 'guarded' }), at('b', FRA), at('c', NYC, { state: 'guarded' })],
      'web',
      client,
    );
    assert.deepEqual(
      ranked.map((n) => n.name),
      ['b'],
    );
  });

  it('only nodes that carry the service', () => {
    assert.deepEqual(rankNodes([at('a', AMS)], 'dns', client), []);
  });

  it('picks at random among equals', () => {
    const ads = [at('a', FRA), at('b', FRA), at('c', FRA)];
    let seed = 0;
    const firsts = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const random = () => (seed = (seed * 9301 + 49297) % 233280) / 233280;
      firsts.add(rankNodes(ads, 'web', client, random)[0]!.name);
    }
    assert.deepEqual([...firsts].sort(), ['a', 'b', 'c']);
  });

  it('without a known client place, orders by load', () => {
    const ranked = rankNodes([at('a', FRA, { load: 2 }), at('b', NYC, { load: 1 })], 'web', {});
    assert.deepEqual(
      ranked.map((n) => n.name),
      ['b', 'a'],
    );
  });
});
