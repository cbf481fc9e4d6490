import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseEnvelope } from '../../../src/director/ad.js';
import { localExpiry, SKEW_TOLERANCE_MS } from '../../../src/director/expiry.js';
import { PeerQueue } from '../../../src/director/queue.js';
import { AdStore } from '../../../src/director/store.js';
import { envelope, KeyRing, nodeAd } from './support.js';

const T = 1_700_000_000_000;
const ring = new KeyRing();
const key = ring.key('node', 'n1');

describe('expiry with clock-skew correction', () => {
  const ad = nodeAd({ origin: 'n1', issuedAt: T, lifetimeMs: 30_000 });

  it('keeps the sender’s expiry when the clocks agree', () => {
    const e = envelope(ad, key, T);
    assert.equal(localExpiry(e, T + SKEW_TOLERANCE_MS), T + 30_000);
  });

  it('counts the remaining lifetime from our now when the sender’s clock is off', () => {
    // The sender's clock is an hour behind ours.
    const e = envelope(ad, key, T);
    assert.equal(localExpiry(e, T + 3_600_000), T + 3_600_000 + 30_000);
    // An hour ahead: the ad is not taken as already expired.
    assert.equal(localExpiry(e, T - 3_600_000), T - 3_600_000 + 30_000);
  });

  it('never lets a forwarder stretch an ad past its signed lifetime', () => {
    const e = { ...envelope(ad, key, T), expiresAt: T + 10_000_000 };
    assert.equal(localExpiry(e, T + 5_000), T + 5_000 + 30_000);
    assert.equal(localExpiry(e, T), T + 30_000);
  });

  it('a forwarder that held the ad for a while passes on what is left of it', () => {
    const e = { ...envelope(ad, key, T), sentAt: T + 20_000, expiresAt: T + 30_000 };
    assert.equal(localExpiry(e, T + 500_000), T + 500_000 + 10_000);
  });
});

describe('envelope validation', () => {
  it('explains what is wrong, field by field', () => {
    const good = envelope(nodeAd({ origin: 'n1', issuedAt: T }), key);
    assert.ok(parseEnvelope(JSON.parse(JSON.stringify(good))).ok);
    const bad = JSON.parse(JSON.stringify(good)) as { ad: Record<string, unknown>; sig: string };
    bad.ad.node = { ...(bad.ad.node as object), url: 'ftp://x', load: -1 };
    bad.ad.origin = 'bad name';
    bad.sig = 'xyz';
    const result = parseEnvelope(bad);
    assert.ok(!result.ok);
    assert.match(result.error, /ad\.origin: must be 1 to 128 letters/);
    assert.match(result.error, /ad\.node\.url: must be an http:\/\/ or https:\/\/ URL/);
    assert.match(result.error, /ad\.node\.load: /);
    assert.match(result.error, /sig: must be a base64 Ed25519 signature/);
    const long = nodeAd({ origin: 'n1', issuedAt: T, lifetimeMs: 2 * 86_400_000 });
    const r2 = parseEnvelope(envelope(long, key));
    assert.ok(!r2.ok);
    assert.match(r2.error, /ad\.expires: must be after issuedAt by at most 86400 s/);
    const extra = parseEnvelope({ ...good, ad: { ...good.ad, admin: true } });
    assert.ok(!extra.ok);
    assert.match(extra.error, /admin/);
  });
});

describe('the store', () => {
  it('stores newer ads only, and tells a duplicate from a stale one', () => {
    const store = new AdStore(10);
    const instance = randomUUID();
    const g = (generation: number) =>
      envelope(nodeAd({ origin: 'n1', issuedAt: T, instance, startTime: T, generation }), key);
    assert.equal(store.offer(g(2), T + 30_000, T).outcome, 'stored');
    assert.equal(store.offer(g(1), T + 30_000, T).outcome, 'stale');
    const dup = store.offer({ ...g(2), seenBy: [{ name: 'd2', instance, at: T }] }, T + 30_000, T);
    assert.equal(dup.outcome, 'duplicate');
    assert.ok(dup.outcome === 'duplicate' && !dup.repeatOnLink && dup.entry.knownBy.has('d2'));
    const again = store.offer(
      { ...g(2), seenBy: [{ name: 'd2', instance, at: T }] },
      T + 30_000,
      T,
    );
    assert.ok(again.outcome === 'duplicate' && again.repeatOnLink);
    const restarted = envelope(
      nodeAd({ origin: 'n1', issuedAt: T + 1, startTime: T + 1, generation: 1 }),
      key,
    );
    assert.equal(store.offer(restarted, T + 30_000, T).outcome, 'stored');
  });

  it('is bounded: a new origin beyond the maximum is refused, known ones still update', () => {
    const store = new AdStore(2);
    const at = (
      origin: string,
      generation = 1,
      instance = '11111111-1111-4111-8111-111111111111',
    ) => envelope(nodeAd({ origin, issuedAt: T, startTime: T, instance, generation }), key);
    assert.equal(store.offer(at('a'), T + 1000, T).outcome, 'stored');
    assert.equal(store.offer(at('b'), T + 2000, T).outcome, 'stored');
    assert.equal(store.offer(at('c'), T + 1000, T).outcome, 'full');
    assert.equal(store.offer(at('a', 2), T + 3000, T).outcome, 'stored');
    assert.equal(store.nextExpiry(), T + 2000);
    assert.deepEqual(
      store.expire(T + 2000).map((e) => e.ad.origin),
      ['b'],
    );
    assert.equal(store.size, 1);
  });
});

describe('the per-peer queue', () => {
  it('keeps only the newest ad per origin, in arrival order, and is bounded', () => {
    const store = new AdStore(100);
    const instance = randomUUID();
    const entry = (origin: string, generation: number, expiresAt = T + 1000) => {
      const result = new AdStore(1).offer(
        envelope(nodeAd({ origin, issuedAt: T, startTime: T, instance, generation }), key),
        expiresAt,
        T,
      );
      assert.equal(result.outcome, 'stored');
      return result.entry;
    };
    void store;
    const queue = new PeerQueue(2);
    queue.offer(entry('a', 1));
    queue.offer(entry('b', 1, T + 500));
    queue.offer(entry('a', 3));
    queue.offer(entry('a', 2));
    assert.equal(queue.size, 2);
    queue.offer(entry('c', 1));
    assert.equal(queue.dropped, 1, 'the entry expiring first (b) made room');
    const taken = queue.take(10);
    assert.deepEqual(
      taken.map((e) => `${e.ad.origin}#${e.ad.generation}`),
      ['a#3', 'c#1'],
    );
    queue.offer(entry('a', 4));
    queue.requeue(taken);
    assert.deepEqual(
      queue.take(10).map((e) => `${e.ad.origin}#${e.ad.generation}`),
      ['a#4', 'c#1'],
    );
  });
});
