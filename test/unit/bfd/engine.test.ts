import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BfdEngine, type BfdSessionView } from '../../../src/bfd/index.js';

const TIMERS = { desiredMinTx: 100_000, requiredMinRx: 100_000, detectMult: 3 };

/** Two engines, "node" at 198.18.0.1 and "router" at 198.18.0.2, wired by hand. */
function pair(ttl: number) {
  const wire: { from: 'node' | 'router'; data: Buffer }[] = [];
  const views = new Map<string, BfdSessionView>();
  const node = new BfdEngine({
    send: (_id, data) => wire.push({ from: 'node', data }),
    report: (id, view) => views.set(`node:${id}`, view),
  });
  const router = new BfdEngine({
    send: (_id, data) => wire.push({ from: 'router', data }),
    report: (id, view) => views.set(`router:${id}`, view),
  });
  node.add('r', { peer: '198.18.0.2', timers: TIMERS }, 0);
  router.add('n', { peer: '198.18.0.1', timers: TIMERS }, 0);
  const run = (until: number): void => {
    for (let now = 0; now <= until; now += 5) {
      node.tick(now);
      router.tick(now);
      for (const { from, data } of wire.splice(0)) {
        if (from === 'node') router.receive(data, '198.18.0.1', ttl, now);
        else node.receive(data, '198.18.0.2', 255, now);
      }
    }
  };
  return { node, router, views, run };
}

describe('BFD engine (RFC 5881 section 5, RFC 5880 6.8.6)', () => {
  it('brings a session Up between two engines', () => {
    const { views, run } = pair(255);
    run(5000);
    assert.equal(views.get('node:r')?.state, 'up');
    assert.equal(views.get('router:n')?.state, 'up');
  });

  it('drops packets that arrive with a TTL other than 255', () => {
    for (const ttl of [254, 64, 1]) {
      const { router, views, run } = pair(ttl);
      run(3000);
      assert.notEqual(views.get('router:n')?.state, 'up');
      assert.ok((router.dropped.get('ttl') ?? 0) > 0);
    }
  });

  it("drops packets from an address that is not the session's peer", () => {
    const { node, run } = pair(255);
    run(3000);
    const routerView = node.view('r');
    assert.ok(routerView);
    // A valid-looking packet naming our discriminator, from elsewhere.
    const engine = new BfdEngine({ send: () => undefined, report: () => undefined });
    engine.add('x', { peer: '198.18.0.9', timers: TIMERS }, 0);
    let forged: Buffer | undefined;
    const sender = new BfdEngine({ send: (_id, d) => (forged = d), report: () => undefined });
    sender.add('y', { peer: '198.18.0.1', timers: TIMERS }, 0);
    sender.tick(0);
    assert.ok(forged);
    node.receive(forged, '198.18.0.9', 255, 3000);
    assert.equal(node.dropped.get('unknown-session'), 1);
  });

  it('counts malformed packets without throwing', () => {
    const engine = new BfdEngine({ send: () => undefined, report: () => undefined });
    engine.receive(Buffer.from([1, 2, 3]), '198.18.0.2', 255, 0);
    assert.equal(engine.dropped.get('short'), 1);
  });
});
