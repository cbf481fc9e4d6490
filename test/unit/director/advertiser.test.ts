import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock/index.js';
import type { NodeDirectorsConfig } from '../../../src/director/node-settings.js';
import type { Envelope, ServiceAd } from '../../../src/director/ad.js';
import { isPlainRemote, NodeAdvertiser } from '../../../src/director/advertiser.js';
import { generateKey, verifyAd } from '../../../src/director/keys.js';
import type { LinkTransport } from '../../../src/director/link.js';
import { settle, silent } from './support.js';

const config: NodeDirectorsConfig = {
  urls: ['http://d1.test', 'http://d2.test', 'http://dead.test'],
  keyFile: '/unused',
  intervalMs: 10_000,
  adLifetimeMs: 30_000,
  timeoutMs: 1000,
  name: 'edge-1',
  url: 'http://198.51.100.7/',
  site: 'ams',
};

function fleet() {
  const clock = new ManualClock();
  const received = new Map<string, Envelope[]>();
  const hung: string[] = [];
  const down = new Set(['http://dead.test']);
  const transport: LinkTransport = {
    send(url, envelopes) {
      if (down.has(url))
        return Promise.resolve({ ok: false, permanent: false, error: 'connection refused' });
      if (url.includes('hung')) {
        hung.push(url);
        return new Promise(() => undefined);
      }
      received.set(url, [...(received.get(url) ?? []), ...envelopes]);
      return Promise.resolve({
        ok: true,
        results: envelopes.map((e) => ({ origin: e.ad.origin, status: 'stored' as const })),
      });
    },
  };
  let services: ServiceAd[] = [{ name: 'web', state: 'down', prefixes: ['203.0.113.80/32'] }];
  const key = generateKey();
  const advertiser = new NodeAdvertiser({
    config: { ...config, urls: [...config.urls, 'http://hung.test'] },
    key,
    services: () => services,
    load: () => 0.25,
    clock,
    log: silent,
    transport,
    get: () => Promise.reject(new Error('no discovery here')),
    random: () => 0.5,
  });
  return {
    clock,
    received,
    hung,
    down,
    advertiser,
    key,
    set: (s: ServiceAd[]) => (services = s),
  };
}

describe('the node advertiser', () => {
  it('sends a signed ad to every director at start, at once on a transition, and every interval', async () => {
    const { clock, received, advertiser, key, set } = fleet();
    advertiser.start();
    await settle(clock);
    const first = received.get('http://d1.test')?.[0];
    assert.ok(first !== undefined);
    assert.ok(verifyAd(first.ad, first.sig, key));
    assert.deepEqual(first.seenBy, []);
    assert.equal(first.ad.kind === 'node' && first.ad.node.load, 0.25);
    assert.equal(received.get('http://d2.test')?.length, 1);

    set([{ name: 'web', state: 'up', prefixes: ['203.0.113.80/32'] }]);
    advertiser.onTransition();
    advertiser.onTransition();
    await settle(clock);
    const d1 = received.get('http://d1.test') ?? [];
    assert.equal(d1.length, 2, 'two transitions in one tick make one ad');
    const second = d1[1]!;
    assert.equal(second.ad.generation, 2);
    assert.equal(second.ad.kind === 'node' && second.ad.node.services[0]?.state, 'up');

    clock.advance(10_000);
    await settle(clock);
    assert.equal(received.get('http://d1.test')?.length, 3);
    assert.equal(received.get('http://d1.test')?.[2]?.ad.generation, 3);
    await advertiser.stop();
  });

  it('a dead director retries with backoff and a hung one delays no other', async () => {
    const { clock, received, hung, advertiser } = fleet();
    advertiser.start();
    await settle(clock);
    assert.equal(hung.length, 1);
    const dead = advertiser.status().directors.find((d) => d.url === 'http://dead.test');
    assert.equal(dead?.state, 'backoff');
    advertiser.onTransition();
    await settle(clock);
    assert.equal(received.get('http://d2.test')?.length, 2, 'the hung director did not hold up d2');
    clock.advance(700);
    await settle(clock);
    const after = advertiser.status().directors.find((d) => d.url === 'http://dead.test');
    assert.equal(after?.failures, 2);
    assert.equal(after?.queued, 1, 'only the newest ad waits for it');
    // When each director last took an ad: the dashboard's "last ad".
    assert.equal(after?.lastSentAt, undefined, 'the dead one never did');
    const d2 = advertiser.status().directors.find((d) => d.url === 'http://d2.test');
    assert.ok(d2?.lastSentAt !== undefined && d2.lastSentAt <= clock.now());
    await advertiser.stop();
  });

  it('a director in a long backoff hears the next interval ad once it is back', async () => {
    const { clock, received, down, advertiser } = fleet();
    advertiser.start();
    // Until its backoff reaches past the next interval ad (up to 30 s).
    const waiting = () =>
      (advertiser.status().directors.find((d) => d.url === 'http://dead.test')?.retryAt ?? 0) -
      clock.now();
    for (let i = 0; i < 300 && waiting() <= 20_000; i++) {
      clock.advance(250);
      await settle(clock);
    }
    assert.ok(waiting() > 20_000, 'in a long backoff');
    // Back, e.g. after a restart: it must not wait out a backoff of up to 30 s.
    down.delete('http://dead.test');
    const nextInterval = 10_000 - (clock.now() % 10_000);
    clock.advance(nextInterval);
    await settle(clock);
    assert.ok((received.get('http://dead.test')?.length ?? 0) >= 1, 'within one interval');
    await advertiser.stop();
  });

  it('a restarted node signs with a later start time and a new instance', () => {
    const a = fleet();
    a.advertiser.start();
    a.clock.advance(5000);
    const b = new NodeAdvertiser({
      config,
      key: a.key,
      services: () => [],
      clock: a.clock,
      log: silent,
      transport: { send: () => Promise.resolve({ ok: true, results: [] }) },
      get: () => Promise.reject(new Error('none')),
    });
    b.start();
    assert.ok(b.startTime > a.advertiser.startTime);
    assert.notEqual(b.instance, a.advertiser.instance);
    assert.equal(b.lastAd?.generation, 1);
    void a.advertiser.stop();
    void b.stop();
  });
});

describe('plain HTTP off loopback', () => {
  it('is told apart from loopback and from https', () => {
    for (const url of [
      'http://198.51.100.7:8441',
      'http://dir.example.net/',
      'http://[2001:db8::1]/',
    ])
      assert.equal(isPlainRemote(url), true, url);
    for (const url of [
      'http://127.0.0.1:8441',
      'http://127.1.2.3/',
      'http://[::1]:8441',
      'http://localhost/',
      'https://198.51.100.7/',
    ])
      assert.equal(isPlainRemote(url), false, url);
  });
});
