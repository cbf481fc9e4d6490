/**
 * A director as a process flooded with forged ads: its log stays bounded, one line per
 * sender and reason per 10 s, and the lines' counts add up to every ad refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requestJson } from '../../../src/director/http.js';
import { envelope, nodeAd } from '../../unit/director/support.js';
import { Fleet } from './fleet.js';

const BATCHES = 40;
const PER_BATCH = 250;

describe('a director flooded with forged ads', () => {
  let fleet: Fleet;

  before(async () => {
    fleet = await Fleet.create('refused-log');
    await fleet.makeKeys(['d1'], ['n1', 'n2']);
    await fleet.defineDirectors(() => [{ name: 'd1', peers: [], discoverPeers: false }], 1);
    await fleet.directors[0]!.start();
  });
  after(() => fleet.close());

  it(`logs a bounded number of lines for ${BATCHES * PER_BATCH * 2} refused ads, with the right counts`, async () => {
    const director = fleet.directors[0]!;
    const ad = nodeAd({ origin: 'n1', issuedAt: Date.now() });
    // Signed by n2's key for n1: a bad signature. For an origin no key may sign: untrusted.
    const forged = envelope(ad, fleet.key('node', 'n2'));
    const stranger = envelope({ ...ad, origin: 'stranger' }, fleet.key('node', 'n1'));
    const started = Date.now();
    for (let i = 0; i < BATCHES; i++) {
      const response = await requestJson(`${director.url}/v1/ads`, {
        method: 'POST',
        body: { ads: Array.from({ length: PER_BATCH }, (_, j) => (j % 2 ? forged : stranger)) },
        timeoutMs: 10_000,
      });
      assert.equal(response.status, 200);
      const results = (response.body as { results: { status: string }[] }).results;
      assert.ok(results.every((r) => r.status === 'refused'));
      const second = await requestJson(`${director.url}/v1/ads`, {
        method: 'POST',
        body: { ads: Array.from({ length: PER_BATCH }, (_, j) => (j % 2 ? stranger : forged)) },
        timeoutMs: 10_000,
      });
      assert.equal(second.status, 200);
    }
    const seconds = (Date.now() - started) / 1000;
    // A clean stop logs the counts still pending.
    assert.equal(await director.kill('SIGTERM'), 0, director.output.slice(-2000));
    const refused = director.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => r.event === 'director.ad_refused');
    const total = BATCHES * PER_BATCH;
    for (const reason of ['director.ad_bad_signature', 'director.ad_untrusted']) {
      const lines = refused.filter((r) => r.reason === reason);
      // One first line, at most one per 10 s after it, and one at the stop.
      assert.ok(lines.length >= 2, `${reason}: ${lines.length} lines`);
      assert.ok(lines.length <= 2 + Math.ceil(seconds / 10), `${reason}: ${lines.length} lines`);
      assert.ok(lines.every((l) => l.from === 'origin'));
      // A line with an ad stands for itself and those suppressed before it; a summary for those.
      const counted = lines.reduce(
        (n, l) => n + (l.ad === undefined ? 0 : 1) + Number(l.suppressed),
        0,
      );
      assert.equal(counted, total, reason);
    }
    assert.ok(director.output.length < 20_000, `${director.output.length} bytes of output`);
  });
});
