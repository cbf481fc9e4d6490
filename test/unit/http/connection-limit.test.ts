/** The connection cap's arithmetic, the refusal report's pacing, and path decoding. */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import {
  DESCRIPTOR_RESERVE,
  HttpError,
  RefusalReport,
  connectionCap,
  decodePathSegment,
  openFileLimit,
  parseOpenFileLimit,
} from '../../../src/http/index.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('connection cap', () => {
  it('reads the soft open-file limit from /proc/<pid>/limits', () => {
    assert.equal(parseOpenFileLimit(LIMITS), 1024);
    assert.equal(parseOpenFileLimit(LIMITS.replace('1024 ', 'unlimited ')), undefined);
    assert.equal(parseOpenFileLimit('garbage'), undefined);
    const own = openFileLimit();
    assert.ok(own === undefined || own > 0);
  });

  it('keeps the reserve: the cap is the share of what is above it, at most what was asked', () => {
    // 20,000 descriptors (the host): the asked 256 fits.
    assert.equal(connectionCap(256, { softLimit: 20_000 }), 256);
    // 1024: the reserve is capped at half the limit, 512 left, split over two listeners.
    assert.equal(connectionCap(4096, { softLimit: 1024, listeners: 2 }), 256);
    assert.equal(connectionCap(4096, { softLimit: 4096 }), 4096 - DESCRIPTOR_RESERVE);
    // Never zero (Node would read that as "no limit"), never the reserve itself.
    assert.equal(connectionCap(10, { softLimit: 1 }), 1);
    assert.equal(connectionCap(300, { softLimit: undefined }), 300);
    // Together the listeners can never reach into the reserve.
    for (const soft of [64, 1024, 1500, 20_000, 65_536])
      for (const listeners of [1, 2, 3]) {
        const cap = connectionCap(1_000_000, { softLimit: soft, listeners });
        const reserve = Math.min(DESCRIPTOR_RESERVE, Math.floor(soft / 2));
        assert.ok(cap * listeners <= soft - reserve || cap === 1, `${soft}/${listeners}: ${cap}`);
      }
  });
});

describe('RefusalReport', () => {
  it('tells the first refusal at once, then one line per interval with the count', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const told: [number, number][] = [];
      const report = new RefusalReport((count, total) => told.push([count, total]), 10_000);
      for (let i = 0; i < 1000; i++) report.record();
      assert.deepEqual(told, [[1, 1]]);
      mock.timers.tick(10_000);
      assert.deepEqual(told, [
        [1, 1],
        [999, 1000],
      ]);
      mock.timers.tick(10_000); // nothing new: quiet, and the window closes
      report.record();
      assert.deepEqual(told.at(-1), [1, 1001]);
      report.stop();
      assert.equal(report.total, 1001);
    } finally {
      mock.timers.reset();
    }
  });
});

describe('decodePathSegment', () => {
  it('decodes, and answers a malformed %-escape with a 400 that names it', () => {
    assert.equal(decodePathSegment('web%20a'), 'web a');
    assert.throws(
      () => decodePathSegment('%E0%A4%A', 'service name'),
      (error: unknown) =>
        error instanceof HttpError &&
        error.status === 400 &&
        error.message === 'the service name "%E0%A4%A" has a malformed %-escape',
    );
  });
});
