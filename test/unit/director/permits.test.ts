import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  PermitLedger,
  announcedServices,
  serviceView,
  type ServiceView,
} from '../../../src/director/permits.js';

const T0 = 1_700_000_000_000;
const HOLD = 60_000;

function view(announcing: string[], others: string[] = []): ServiceView {
  return { announcing: new Set(announcing), listed: new Set([...announcing, ...others]) };
}

const five = ['a', 'b', 'c', 'd', 'e'];

describe('serviceView', () => {
  it('counts up and guarded as announcing, every listing in the total', () => {
    const v = serviceView(
      [
        { origin: 'a', services: [{ name: 'dns', state: 'up' }] },
        { origin: 'b', services: [{ name: 'dns', state: 'guarded' }] },
        { origin: 'c', services: [{ name: 'dns', state: 'down' }] },
        { origin: 'd', services: [{ name: 'dns', state: 'held-down' }] },
        { origin: 'e', services: [{ name: 'web', state: 'up' }] },
      ],
      'dns',
    );
    assert.deepEqual([...v.announcing].sort(), ['a', 'b']);
    assert.deepEqual([...v.listed].sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(
      [
        ...announcedServices({
          origin: 'x',
          services: [
            { name: 'dns', state: 'guarded' },
            { name: 'web', state: 'drained' },
            { name: 'ntp', state: 'up' },
          ],
        }),
      ].sort(),
      ['dns', 'ntp'],
    );
  });
});

describe('PermitLedger', () => {
  it('grants up to announcing − min, then refuses', () => {
    const ledger = new PermitLedger();
    const v = view(five);
    const answers = five.map((n) => ledger.acquire(n, 'dns', { announcing: 2 }, v, HOLD, T0));
    assert.deepEqual(
      answers.map((a) => a.granted),
      [true, true, true, false, false],
    );
    assert.deepEqual(answers[0], {
      service: 'dns',
      granted: true,
      announcing: 5,
      total: 5,
      min: 2,
      outstanding: 1,
      reason: '5 announcing, 1 permit out with this one, min 2: 2 more may withdraw',
      expiresAt: T0 + HOLD,
    });
    assert.equal(answers[3]?.outstanding, 3);
    assert.match(answers[3]?.reason ?? '', /withdrawing would leave 1/);
    assert.deepEqual(
      ledger.holders('dns', T0).map((p) => p.node),
      ['a', 'b', 'c'],
    );
  });

  it('returns a held permit again, with its first expiry', () => {
    const ledger = new PermitLedger();
    const v = view(['a', 'b', 'c']);
    const first = ledger.acquire('a', 'dns', { announcing: 2 }, v, HOLD, T0);
    const again = ledger.acquire('a', 'dns', { announcing: 2 }, v, HOLD, T0 + 5000);
    assert.equal(first.granted, true);
    assert.equal(again.granted, true);
    assert.equal(again.expiresAt, T0 + HOLD);
    assert.equal(again.outstanding, 1);
    assert.equal(ledger.acquire('b', 'dns', { announcing: 2 }, v, HOLD, T0).granted, false);
  });

  it('counts an asker whose ad has not arrived as announcing and listed', () => {
    const ledger = new PermitLedger();
    const answer = ledger.acquire('z', 'dns', { announcing: 2 }, view(['a', 'b']), HOLD, T0);
    assert.equal(answer.announcing, 3);
    assert.equal(answer.total, 3);
    assert.equal(answer.granted, true);
  });

  it('turns a fraction into a count of the nodes listing the service', () => {
    const ledger = new PermitLedger();
    // 10 listed, 4 announcing, min ceil(0.25 × 10) = 3: one may go.
    const v = view(['a', 'b', 'c', 'd'], ['e', 'f', 'g', 'h', 'i', 'j']);
    const a = ledger.acquire('a', 'dns', { fraction: 0.25 }, v, HOLD, T0);
    assert.equal(a.min, 3);
    assert.equal(a.granted, true);
    assert.equal(ledger.acquire('b', 'dns', { fraction: 0.25 }, v, HOLD, T0).granted, false);
  });

  it('frees a permit on release, on a newer not-announcing ad, on expiry of the ad, at hard expiry', () => {
    const ledger = new PermitLedger();
    const v = view(five);
    for (const n of ['a', 'b', 'c']) ledger.acquire(n, 'dns', { announcing: 2 }, v, HOLD, T0);
    assert.equal(ledger.release('a', 'dns'), true);
    assert.equal(ledger.release('a', 'dns'), false);
    // b's ad: dns down; web up. c's ad still up: kept.
    assert.deepEqual(
      ledger.observe('b', new Set(['web']), T0 + 1).map((d) => [d.node, d.why]),
      [['b', 'withdrawn']],
    );
    assert.deepEqual(ledger.observe('c', new Set(['dns']), T0 + 1), []);
    assert.deepEqual(
      ledger.holders('dns', T0 + 1).map((p) => p.node),
      ['c'],
    );
    assert.deepEqual(
      ledger.observe('c', undefined, T0 + 2).map((d) => d.why),
      ['ad gone'],
    );
    ledger.acquire('d', 'dns', { announcing: 2 }, v, HOLD, T0 + 10);
    assert.deepEqual(ledger.sweep(T0 + 10 + HOLD - 1), []);
    assert.deepEqual(
      ledger.sweep(T0 + 10 + HOLD).map((d) => [d.node, d.why]),
      [['d', 'expired']],
    );
    assert.equal(ledger.size, 0);
  });

  it('ignores a release issued before the acquire its permit answered (requests race)', () => {
    const ledger = new PermitLedger();
    const v = view(five);
    ledger.acquire('a', 'dns', { announcing: 2 }, v, HOLD, T0, 1000);
    // Round 2 asks again (same permit, now for issuedAt 3000); round 1's release lands late.
    ledger.acquire('a', 'dns', { announcing: 2 }, v, HOLD, T0 + 5, 3000);
    assert.equal(ledger.release('a', 'dns', 2000), false);
    assert.deepEqual(
      ledger.holders('dns', T0 + 5).map((p) => [p.node, p.askedAt]),
      [['a', 3000]],
    );
    assert.equal(ledger.release('a', 'dns', 3000), true);
    assert.equal(ledger.size, 0);
  });

  it('keeps services apart', () => {
    const ledger = new PermitLedger();
    const v = view(['a', 'b']);
    assert.equal(ledger.acquire('a', 'dns', { announcing: 1 }, v, HOLD, T0).granted, true);
    assert.equal(ledger.acquire('b', 'web', { announcing: 1 }, v, HOLD, T0).granted, true);
    assert.equal(ledger.acquire('b', 'dns', { announcing: 1 }, v, HOLD, T0).granted, false);
    assert.deepEqual(ledger.services(), ['dns', 'web']);
    assert.deepEqual(ledger.minimum('dns'), { announcing: 1 });
  });

  // A node stops announcing by judgement only while it holds a permit (the model of the
  // node's rule); nodes come back whenever. Then, at every step, the announcing nodes
  // without a permit are at least min: permits never let the fleet drop below it.
  it('never lets the announcing nodes without a permit fall below min (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), node: fc.nat(11) }),
      fc.record({ kind: fc.constant('release' as const), node: fc.nat(11) }),
      fc.record({ kind: fc.constant('withdraw' as const), node: fc.nat(11) }),
      fc.record({ kind: fc.constant('return' as const), node: fc.nat(11) }),
      fc.record({ kind: fc.constant('expireAd' as const), node: fc.nat(11) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 30_000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(op, { maxLength: 120 }),
        (n, min, ops) => {
          const ledger = new PermitLedger();
          const nodes = Array.from({ length: n }, (_, i) => `n${i}`);
          const up = new Set(nodes);
          const listed = new Set(nodes);
          let now = T0;
          const holds = (node: string) => ledger.holders('dns', now).some((p) => p.node === node);
          for (const o of ops) {
            if (o.kind === 'tick') {
              now += o.ms;
              ledger.sweep(now);
              continue;
            }
            const node = nodes[o.node % n]!;
            switch (o.kind) {
              case 'acquire': {
                if (!up.has(node)) break;
                const before = ledger.holders('dns', now).length;
                const answer = ledger.acquire(
                  node,
                  'dns',
                  { announcing: min },
                  { announcing: up, listed },
                  HOLD,
                  now,
                );
                // The bound at grant time: outstanding ≤ |A| − min.
                if (answer.granted) assert.ok(answer.outstanding <= answer.announcing - answer.min);
                assert.ok(ledger.holders('dns', now).length <= Math.max(before, up.size - min));
                break;
              }
              case 'release':
                ledger.release(node, 'dns');
                break;
              case 'withdraw':
                // Only with a permit (the node's rule); its down ad frees the permit.
                if (!holds(node)) break;
                up.delete(node);
                ledger.observe(node, new Set(), now);
                break;
              case 'return':
                up.add(node);
                listed.add(node);
                ledger.observe(node, new Set(['dns']), now);
                break;
              case 'expireAd':
                // A withdrawn node's ad expires: it is no longer listed at all.
                if (up.has(node)) break;
                listed.delete(node);
                ledger.observe(node, undefined, now);
                break;
            }
            const free = [...up].filter((u) => !holds(u)).length;
            assert.ok(
              free >= Math.min(min, n),
              `${free} announcing without a permit, min ${min} (${up.size} up)`,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
