import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BfdDiag,
  BfdSession,
  BfdState,
  decodeBfd,
  encodeBfd,
  type BfdPacket,
  type BfdTimers,
} from '../../../src/bfd/index.js';

const FAST: BfdTimers = { desiredMinTx: 100_000, requiredMinRx: 100_000, detectMult: 3 };

/** Two sessions wired to each other in memory; time is stepped by hand (ms). */
class Pair {
  now = 0;
  readonly a: BfdSession;
  readonly b: BfdSession;
  /** Packets in flight: delivered at the next step unless the link is cut. */
  cut = false;
  readonly sentBy = {
    a: [] as { at: number; packet: BfdPacket }[],
    b: [] as { at: number; packet: BfdPacket }[],
  };

  constructor(a: BfdTimers = FAST, b: BfdTimers = FAST, random: () => number = () => 0.5) {
    this.a = new BfdSession({ ...a, localDiscr: 11, random }, 0);
    this.b = new BfdSession({ ...b, localDiscr: 22, random }, 0);
  }

  /** Runs until `until` ms, firing timers and delivering packets in order. */
  run(until: number): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      this.exchange();
      const next = Math.min(this.a.nextDeadline() ?? Infinity, this.b.nextDeadline() ?? Infinity);
      if (next > until) break;
      this.now = Math.max(this.now, next);
      this.a.tick(this.now);
      this.b.tick(this.now);
    }
    this.now = until;
    this.exchange();
  }

  private exchange(): void {
    for (let moved = true; moved;) {
      moved = false;
      for (const [from, to, log] of [
        [this.a, this.b, this.sentBy.a],
        [this.b, this.a, this.sentBy.b],
      ] as const) {
        for (const packet of from.takePackets()) {
          log.push({ at: this.now, packet });
          moved = true;
          const wire = decodeBfd(encodeBfd(packet));
          assert.ok(wire.ok, 'a session only sends packets the decoder accepts');
          if (!this.cut) to.receive(wire.packet, this.now);
        }
      }
    }
  }
}

describe('BFD session (RFC 5880 6.2, 6.8)', () => {
  it('comes Up through Init, slowly at first, then at the agreed rate', () => {
    const pair = new Pair();
    pair.run(5000);
    assert.equal(pair.a.view().state, 'up');
    assert.equal(pair.b.view().state, 'up');
    const changes = pair.a.takeChanges().map((c) => c.to);
    assert.deepEqual(changes, ['init', 'up']);
    // 6.8.3: until Up, Desired Min TX is at least 1 s.
    const first = pair.sentBy.a[0]?.packet;
    assert.equal(first?.desiredMinTx, 1_000_000);
    const view = pair.a.view();
    assert.equal(view.txInterval, 100_000);
    assert.equal(view.detectionTime, 300_000);
    assert.equal(view.pollActive, false);
  });

  it('goes Down with "control detection time expired" within the detection time of silence', () => {
    const pair = new Pair();
    pair.run(5000);
    pair.cut = true;
    const cutAt = pair.now;
    let downAt: number | undefined;
    for (let t = cutAt; t <= cutAt + 1000 && downAt === undefined; t += 1) {
      pair.run(t);
      if (pair.a.view().state === 'down') downAt = t;
    }
    assert.ok(downAt !== undefined);
    assert.ok(downAt - cutAt <= 300, `down after ${downAt - cutAt} ms`);
    assert.equal(pair.a.view().localDiag, BfdDiag.ControlDetectionTimeExpired);
    assert.equal(pair.a.view().remoteDiscr, 0, '6.8.1: RemoteDiscr reset after a detection time');
    pair.cut = false;
    pair.run(pair.now + 5000);
    assert.equal(pair.a.view().state, 'up');
  });

  it('the peer going Down takes us Down with "neighbor signaled session down"', () => {
    const pair = new Pair();
    pair.run(5000);
    pair.a.takeChanges();
    pair.b.adminDown(pair.now);
    pair.run(pair.now + 10);
    const change = pair.a.takeChanges()[0];
    assert.equal(change?.to, 'down');
    assert.equal(change?.diag, BfdDiag.NeighborSignaledSessionDown);
    assert.equal(change?.remoteState, 'admin-down');
  });

  it('changes timers while Up by a Poll Sequence; a slower rate waits for the Final', () => {
    const pair = new Pair();
    pair.run(5000);
    pair.a.setTimers({ desiredMinTx: 300_000, requiredMinRx: 300_000, detectMult: 5 }, pair.now);
    const polls = pair.a.takePackets();
    assert.ok(polls.some((p) => p.poll && p.desiredMinTx === 300_000));
    // Nothing delivered yet: still sending at the old rate (6.8.3).
    assert.equal(pair.a.view().txInterval, 100_000);
    for (const p of polls) pair.b.receive(p, pair.now);
    const finals = pair.b.takePackets();
    assert.ok(finals.some((p) => p.final && !p.poll));
    for (const p of finals) pair.a.receive(p, pair.now);
    assert.equal(pair.a.view().pollActive, false);
    assert.equal(pair.a.view().txInterval, 300_000);
    pair.run(pair.now + 2000);
    assert.equal(pair.b.view().detectionTime, 5 * 300_000);
    assert.equal(pair.b.view().txInterval, 300_000, 'b sends no faster than a now accepts');
    assert.equal(pair.a.view().state, 'up');
  });

  it('jitters each interval to 75-100% (75-90% with Detect Mult 1)', () => {
    for (const [mult, random, expected] of [
      [3, 0, 1000],
      [3, 0.999999, 750],
      [1, 0, 900],
      [1, 0.999999, 750],
    ] as const) {
      const s = new BfdSession(
        { ...FAST, detectMult: mult, localDiscr: 1, random: () => random },
        0,
      );
      s.tick(0);
      assert.ok(Math.abs((s.nextDeadline() ?? 0) - expected) < 0.01, `${mult} ${random}`);
    }
  });

  it('never sends a wrong discriminator, P with F, or faster than 1 s while not Up', () => {
    type Step =
      | { kind: 'run'; ms: number }
      | { kind: 'cut'; on: boolean }
      | { kind: 'timers'; side: 'a' | 'b'; tx: number; rx: number; mult: number }
      | { kind: 'admin'; side: 'a' | 'b' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant('cut' as const), on: fc.boolean() }),
      fc.record({
        kind: fc.constant('timers' as const),
        side: fc.constantFrom('a' as const, 'b' as const),
        tx: fc.integer({ min: 10_000, max: 2_000_000 }),
        rx: fc.integer({ min: 10_000, max: 2_000_000 }),
        mult: fc.integer({ min: 1, max: 10 }),
      }),
      fc.record({
        kind: fc.constant('admin' as const),
        side: fc.constantFrom('a' as const, 'b' as const),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 30 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (steps, r) => {
          const pair = new Pair(FAST, FAST, () => r);
          for (const s of steps) {
            if (s.kind === 'run') pair.run(pair.now + s.ms);
            else if (s.kind === 'cut') pair.cut = s.on;
            else if (s.kind === 'timers')
              pair[s.side].setTimers(
                { desiredMinTx: s.tx, requiredMinRx: s.rx, detectMult: s.mult },
                pair.now,
              );
            else pair[s.side].adminDown(pair.now);
          }
          pair.run(pair.now + 100);
          for (const [log, mine, theirs] of [
            [pair.sentBy.a, 11, 22],
            [pair.sentBy.b, 22, 11],
          ] as const) {
            for (const { packet } of log) {
              assert.equal(packet.myDiscriminator, mine);
              assert.ok(packet.yourDiscriminator === 0 || packet.yourDiscriminator === theirs);
              assert.ok(!(packet.poll && packet.final));
              if (packet.state !== BfdState.Up) assert.ok(packet.desiredMinTx >= 1_000_000);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("BFD session: the remote's Required Min RX", () => {
  it('0 stops our periodic packets (6.8.7); a new value starts them again', () => {
    const s = new BfdSession({ ...FAST, localDiscr: 1, random: () => 0 }, 0);
    const from = (requiredMinRx: number): BfdPacket => ({
      version: 1,
      diag: 0,
      state: BfdState.Down,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      detectMult: 3,
      myDiscriminator: 9,
      yourDiscriminator: 0,
      desiredMinTx: 1_000_000,
      requiredMinRx,
      requiredMinEchoRx: 0,
    });
    s.receive(from(0), 10);
    s.takePackets();
    assert.equal(s.view().state, 'init');
    // Within the detection time (3 x 1 s): no periodic packet is due.
    assert.ok((s.nextDeadline() ?? 0) > 2500);
    s.tick(2500);
    assert.deepEqual(s.takePackets(), []);
    s.receive(from(100_000), 2500);
    s.takePackets();
    assert.ok((s.nextDeadline() ?? Infinity) <= 3500);
  });
});
