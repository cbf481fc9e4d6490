import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseEnvelope } from '../../../src/director/ad.js';
import {
  localExpiry,
  SIGNED_SKEW_ALLOWANCE_MS,
  signedTimeProblem,
  SKEW_TOLERANCE_MS,
} from '../../../src/director/expiry.js';
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
    // The sender's clock is 10 s behind ours.
    const e = envelope(ad, key, T);
    assert.equal(localExpiry(e, T + 10_000), T + 10_000 + 30_000);
    // 40 s behind: the signed expiry plus the allowance caps it.
    assert.equal(localExpiry(e, T + 40_000), T + 30_000 + SIGNED_SKEW_ALLOWANCE_MS);
    // 10 s ahead: the ad is not taken as already expired.
    assert.equal(localExpiry(e, T - 10_000), T - 10_000 + 30_000);
  });

  it('refuses by the signed times alone, whatever the envelope says', () => {
    const e = envelope(ad, key, T);
    // An hour later, re-sent in a fresh envelope: dead.
    const replay = { ...e, sentAt: T + 3_600_000, expiresAt: T + 3_600_000 + 30_000 };
    assert.ok(localExpiry(replay, T + 3_600_000) <= T + 3_600_000);
    assert.match(
      signedTimeProblem(ad, T + 3_600_000) ?? '',
      /^its signed expiry passed 3570 s ago \(allowance for clock skew 30 s\)$/,
    );
    assert.equal(signedTimeProblem(ad, T + 30_000 + SIGNED_SKEW_ALLOWANCE_MS - 1), undefined);
    assert.ok(signedTimeProblem(ad, T + 30_000 + SIGNED_SKEW_ALLOWANCE_MS) !== undefined);
    // Signed an hour ahead of our clock: not valid yet.
    assert.match(signedTimeProblem(ad, T - 3_600_000) ?? '', /issued 3600 s in the future/);
    assert.equal(signedTimeProblem(ad, T - SIGNED_SKEW_ALLOWANCE_MS), undefined);
  });

  it('never lets a forwarder stretch an ad past its signed lifetime', () => {
    const e = { ...envelope(ad, key, T), expiresAt: T + 10_000_000 };
    assert.equal(localExpiry(e, T + 5_000), T + 5_000 + 30_000);
    assert.equal(localExpiry(e, T), T + 30_000);
  });

  it('a forwarder that held the ad for a while passes on what is left of it', () => {
    const e = { ...envelope(ad, key, T), sentAt: T + 20_000, expiresAt: T + 30_000 };
    assert.equal(localExpiry(e, T + 25_000), T + 25_000 + 10_000);
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

describe('replay records', () => {
  it('keeps the newest ad of an origin past its expiry, so it and older ads stay out', () => {
    const store = new AdStore(10);
    const instance = randomUUID();
    const g = (generation: number) =>
      envelope(
        nodeAd({
          origin: 'n1',
          issuedAt: T,
          instance,
          startTime: T,
          generation,
          lifetimeMs: 30_000,
        }),
        key,
      );
    assert.equal(store.offer(g(5), T + 30_000, T).outcome, 'stored');
    assert.equal(store.offer(g(6), T + 30_000, T).outcome, 'stored', 'the farewell');
    assert.deepEqual(
      store.expire(T + 30_000).map((e) => e.ad.generation),
      [6],
    );
    assert.equal(store.size, 0);
    // Gone from the table, but neither it nor the older "up" ad comes back.
    assert.equal(store.offer(g(6), T + 60_000, T + 30_000).outcome, 'stale');
    assert.equal(store.offer(g(5), T + 60_000, T + 30_000).outcome, 'stale');
    const record = store.record('node:n1');
    assert.equal(record?.newest.generation, 6);
    // Twice the longest lifetime plus the skew allowance after it was last stored.
    assert.equal(record?.keepUntil, T + 2 * 30_000 + SIGNED_SKEW_ALLOWANCE_MS);
    store.expire(T + 2 * 30_000 + SIGNED_SKEW_ALLOWANCE_MS - 1);
    assert.equal(store.recordCount, 1);
    store.expire(T + 2 * 30_000 + SIGNED_SKEW_ALLOWANCE_MS);
    assert.equal(store.recordCount, 0);
    // A newer ad is welcome at any time.
    assert.equal(store.offer(g(7), T + 200_000, T + 100_000).outcome, 'stored');
  });

  it('counts records against the maximum, so churn cannot grow it without bound', () => {
    const store = new AdStore(1);
    const a = envelope(nodeAd({ origin: 'a', issuedAt: T }), key);
    const b = envelope(nodeAd({ origin: 'b', issuedAt: T }), key);
    assert.equal(store.offer(a, T + 1000, T).outcome, 'stored');
    store.expire(T + 1000);
    assert.equal(store.size, 0);
    assert.equal(store.offer(b, T + 2000, T + 1000).outcome, 'full');
  });

  it('refuses an ad of format v1 with the reason', () => {
    const old = { ...envelope(nodeAd({ origin: 'n1', issuedAt: T }), key) };
    const result = parseEnvelope({ ...old, ad: { ...old.ad, v: 1 } });
    assert.ok(!result.ok);
    assert.match(
      result.error,
      /^ad\.v: format v1 is no longer accepted \(its signed expiry was not enforced\): the origin runs an older release and must be upgraded to sign v2 ads$/,
    );
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
