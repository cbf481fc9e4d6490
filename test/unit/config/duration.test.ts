import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, parseIsoDuration } from '../../../src/config/index.js';
import { testCheckTypes } from './support.js';

describe('ISO-8601 durations (anycastd writes interval = "PT1S")', () => {
  it('reads weeks, days, hours, minutes and seconds, with fractions', () => {
    for (const [text, seconds] of [
      ['PT1S', 1],
      ['PT0.5S', 0.5],
      ['PT0,25S', 0.25],
      ['PT1M30S', 90],
      ['PT2H', 7200],
      ['P1D', 86_400],
      ['P1DT1S', 86_401],
      ['P1W', 604_800],
      ['pt5s', 5],
    ] as const)
      assert.equal(parseIsoDuration(text), seconds, text);
  });

  it('refuses what is not one', () => {
    for (const text of ['', 'P', 'PT', 'P1DT', '1S', 'PT1', 'T1S', 'PT1S1', '5'])
      assert.equal(parseIsoDuration(text), undefined, text);
  });

  const check = (interval: string) =>
    parseConfig(
      `[services.ntp]\nprefixes.frrouting = ["203.0.113.123"]\nchecks.cabourotte = [{ name = "ntp", interval = ${interval}, timeout = "PT0.5S" }]\n`,
      'anycastd.toml',
      { checkTypes: testCheckTypes },
    ).services[0]?.checks[0];

  it('is read for a check interval and timeout', () => {
    assert.deepEqual([check('"PT1S"')?.interval, check('"PT1S"')?.timeout], [1, 0.5]);
    assert.equal(check('2')?.interval, 2);
  });

  it('is bounded like seconds, and months are refused with the reason', () => {
    assert.throws(
      () => check('"P2D"'),
      /interval: must be a number of seconds more than 0 and at most 86400, got "P2D"/,
    );
    assert.throws(() => check('"P1M"'), /years and months have no fixed length, got "P1M"/);
    assert.throws(
      () => check('"1s"'),
      /interval: must be a number of seconds or an ISO-8601 duration \("PT1S", "PT1M30S"\), got "1s"/,
    );
  });
});
