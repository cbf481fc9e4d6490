/**
 * Withdrawal permits in the Director, in memory on a ManualClock: the ledger is fed by
 * every stored node ad (forwarded ones too), by expiry and by farewell; a permit is held
 * for the node's ad lifetime + clock_skew; `guarded` counts as announcing but is never
 * located; bad requests throw the dotted kinds the server turns into 400/403.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock/index.js';
import { MAX_LIFETIME_MS } from '../../../src/director/ad.js';
import type { Director } from '../../../src/director/director.js';
import { DirectorError } from '../../../src/director/errors.js';
import { SIGNED_SKEW_ALLOWANCE_MS } from '../../../src/director/expiry.js';
import { generateKey } from '../../../src/director/keys.js';
import {
  PERMIT_VERSION,
  signPermitRequest,
  type PermitAnswer,
  type PermitRequest,
} from '../../../src/director/permit.js';
import { envelope, KeyRing, Network, nodeAd, settle } from './support.js';

const NODES = ['n0', 'n1', 'n2', 'n3', 'n4'];

async function pair() {
  const clock = new ManualClock();
  const ring = new KeyRing();
  for (const name of ['d1', 'd2']) ring.key('director', name);
  for (const name of [...NODES, 'late']) ring.key('node', name);
  const net = new Network(clock, ring);
  net.add('d1', { peers: [net.url('d2')], intervalMs: 10_000 });
  net.add('d2', { peers: [net.url('d1')], intervalMs: 10_000 });
  for (const d of net.directors.values()) await d.start();
  await settle(clock);
  const d1 = net.directors.get('d1')!;
  const d2 = net.directors.get('d2')!;
  let generation = 1;
  /** A node's ad, posted to d1 only: d2 has it forwarded. */
  const advertise = async (origin: string, state: 'up' | 'down' | 'guarded') => {
    const ad = nodeAd({
      origin,
      instance: `00000000-0000-4000-8000-00000000000${NODES.indexOf(origin) + 1}`,
      startTime: 1,
      generation: generation++,
      issuedAt: clock.now(),
      services: [{ name: 'web', state, prefixes: ['203.0.113.80/32'] }],
    });
    d1.ingest([JSON.parse(JSON.stringify(envelope(ad, ring.key('node', origin))))]);
    await settle(clock);
  };
  const ask = (director: Director, origin: string, extra: Partial<PermitRequest> = {}) =>
    director.permit(
      JSON.parse(
        JSON.stringify(
          signPermitRequest(
            // Without the keys `extra` sets to undefined (canonical JSON has no undefined).
            JSON.parse(
              JSON.stringify({
                v: PERMIT_VERSION,
                action: 'acquire',
                origin,
                service: 'web',
                minimum: { announcing: 3 },
                issuedAt: clock.now(),
                ...extra,
              }),
            ) as PermitRequest,
            ring.key('node', origin),
          ),
        ),
      ),
    );
  for (const n of NODES) await advertise(n, 'up');
  return { clock, ring, d1, d2, advertise, ask };
}

interface View {
  services: { service: string; announcing: number; total: number; holders: { node: string }[] }[];
}
const web = (d: Director) => (d.permitsView() as View).services.find((s) => s.service === 'web')!;

describe('Director permits', () => {
  it('grants up to announcing − min and holds a grant for ad lifetime + clock_skew', async () => {
    const { clock, d2, ask } = await pair();
    const answers: PermitAnswer[] = NODES.map((n) => ask(d2, n));
    assert.deepEqual(
      answers.map((a) => a.granted),
      [true, true, false, false, false],
    );
    // nodeAd's lifetime is 30 s; the default clock_skew 30 s.
    assert.equal(answers[0]?.expiresAt, clock.now() + 30_000 + SIGNED_SKEW_ALLOWANCE_MS);
    assert.deepEqual(
      web(d2).holders.map((h) => h.node),
      ['n0', 'n1'],
    );
  });

  it('a forwarded down ad frees the permit and counts the withdrawal', async () => {
    const { d1, d2, advertise, ask } = await pair();
    assert.equal(ask(d2, 'n0').granted, true);
    await advertise('n0', 'down');
    assert.deepEqual(web(d2).holders, []);
    assert.equal(web(d2).announcing, 4);
    assert.equal(web(d1).announcing, 4);
    assert.equal(web(d2).total, 5);
  });

  it('counts guarded as announcing; locate hands out only up nodes', async () => {
    const { d2, advertise, ask } = await pair();
    await advertise('n1', 'guarded');
    assert.equal(web(d2).announcing, 5);
    assert.equal(ask(d2, 'n0').granted, true);
    assert.deepEqual(
      d2
        .locate('web', undefined)
        .nodes.map((n) => n.name)
        .sort(),
      ['n0', 'n2', 'n3', 'n4'],
    );
  });

  it('drops a permit when the node’s ad expires, and at its hard expiry', async () => {
    const { clock, d2, advertise, ask } = await pair();
    assert.equal(ask(d2, 'n0').granted, true);
    // n1..n4 keep advertising; n0 falls silent: its ad (30 s) expires, its permit goes.
    clock.advance(20_000);
    for (const n of NODES.slice(1)) await advertise(n, 'up');
    assert.equal(ask(d2, 'n1').granted, true);
    clock.advance(11_000);
    await settle(clock);
    d2.sweep();
    assert.deepEqual(
      web(d2).holders.map((h) => h.node),
      ['n1'],
    );
    // n1 keeps advertising "up" and never withdraws: its permit ends at the hard expiry.
    for (let i = 0; i < 6; i++) {
      clock.advance(10_000);
      for (const n of NODES.slice(1)) await advertise(n, 'up');
      d2.sweep();
    }
    assert.deepEqual(web(d2).holders, []);
  });

  it('holds a grant to a node with no ad for the longest lifetime an ad may claim', async () => {
    const { clock, d2, ask } = await pair();
    const answer = ask(d2, 'late');
    assert.equal(answer.granted, true);
    assert.equal(answer.announcing, 6);
    assert.equal(answer.expiresAt, clock.now() + MAX_LIFETIME_MS + SIGNED_SKEW_ALLOWANCE_MS);
  });

  it('releases, and ignores a release issued before the acquire', async () => {
    const { clock, d2, ask } = await pair();
    const before = clock.now();
    clock.advance(10);
    assert.equal(ask(d2, 'n0').granted, true);
    const stale = ask(d2, 'n0', { action: 'release', issuedAt: before, minimum: undefined });
    assert.equal(stale.granted, false);
    assert.equal(web(d2).holders.length, 1);
    const release = ask(d2, 'n0', { action: 'release', minimum: undefined });
    assert.equal(release.reason, 'released');
    assert.equal(release.outstanding, 0);
    assert.deepEqual(web(d2).holders, []);
  });

  it('refuses bad requests with the dotted kinds', async () => {
    const { clock, ring, d2, ask } = await pair();
    const kind = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        assert.ok(error instanceof DirectorError);
        return error.kind;
      }
      return 'accepted';
    };
    assert.equal(
      kind(() => ask(d2, 'n0', { issuedAt: clock.now() - 31_000 })),
      'director.permit_clock',
    );
    assert.equal(
      kind(() => ask(d2, 'n0', { issuedAt: clock.now() + 31_000 })),
      'director.permit_clock',
    );
    const request: PermitRequest = {
      v: PERMIT_VERSION,
      action: 'acquire',
      origin: 'n0',
      service: 'web',
      minimum: { announcing: 1 },
      issuedAt: clock.now(),
    };
    assert.equal(
      kind(() => d2.permit(signPermitRequest(request, generateKey()))),
      'director.permit_bad_signature',
    );
    assert.equal(
      kind(() => d2.permit(signPermitRequest({ ...request, origin: 'nobody' }, generateKey()))),
      'director.permit_untrusted',
    );
    const { minimum: _minimum, ...noMinimum } = request;
    assert.equal(
      kind(() => d2.permit(signPermitRequest(noMinimum, ring.key('node', 'n0')))),
      'director.permit_invalid',
    );
    assert.deepEqual(web(d2).holders, []);
  });
});
