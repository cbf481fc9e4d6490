// The node's fleet guard driver, with a fake PermitAsker and the manual clock: it asks at
// once, re-asks every GUARD_RECHECK_MS while held, never has two acquires in flight for
// one service, releases what it did not use, and logs each round.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { ManualClock } from '../../../src/clock/index.js';
import type {
  PermitAnswer,
  PermitAsker,
  PermitMinimum,
  PermitReply,
  WithdrawalDecision,
} from '../../../src/director/index.js';
import type { FleetGuardSettings } from '../../../src/health/index.js';
import { FleetGuard, GUARD_RECHECK_MS } from '../../../src/node-ads/index.js';

const guard: FleetGuardSettings = {
  minimum: { announcing: 2 },
  whenDirectorsUnreachable: 'withdraw',
};

function answer(granted: boolean, announcing = 3): PermitAnswer {
  return {
    service: 'dns',
    granted,
    announcing,
    total: 5,
    min: 2,
    outstanding: granted ? 1 : 0,
    reason: `${announcing} announcing, min 2`,
  };
}

/** Directors answering as `next` says; each acquire waits until `answerAll()`. */
class FakeAsker implements PermitAsker {
  acquires: { service: string; minimum: PermitMinimum }[] = [];
  releases: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  next: () => PermitReply[] = () =>
    [1, 2, 3].map((i) => ({ director: `d${i}`, answer: answer(false) }));
  private waiting: (() => void)[] = [];

  acquire(service: string, minimum: PermitMinimum): Promise<PermitReply[]> {
    this.acquires.push({ service, minimum });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.inFlight -= 1;
        resolve(this.next());
      }),
    );
  }
  release(service: string): Promise<void> {
    this.releases.push(service);
    return Promise.resolve();
  }
  knownDirectors(): number {
    return 3;
  }
  /** Lets every acquire waiting now answer, and the driver act on it. */
  async answerAll(): Promise<void> {
    const now = this.waiting;
    this.waiting = [];
    for (const go of now) go();
    await flush();
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `null`: no client (no [directors]). */
function setup(asker: PermitAsker | null = new FakeAsker()) {
  const clock = new ManualClock();
  const decisions: { service: string; decision: WithdrawalDecision }[] = [];
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  const driver = new FleetGuard({
    asker: () => asker ?? undefined,
    decide: (service, decision) => decisions.push({ service, decision }),
    clock,
    log,
  });
  return { clock, decisions, lines, driver };
}

const want = (wanted: boolean) => ({ service: 'dns', wanted, guard });
const events = (lines: Record<string, unknown>[]) =>
  lines.map((l) => [l.event, l.level === 20 ? 'debug' : l.level === 30 ? 'info' : 'warn']);

describe('FleetGuard driver', () => {
  it('asks at once when a permit is wanted, with the service minimum', () => {
    const asker = new FakeAsker();
    const { driver } = setup(asker);
    driver.onPermitWanted(want(true));
    assert.deepEqual(asker.acquires, [{ service: 'dns', minimum: { announcing: 2 } }]);
  });

  it('a refusal holds: the decision goes to the daemon, the permit is released, and it asks again every second', async () => {
    const asker = new FakeAsker();
    const { driver, decisions, clock, lines } = setup(asker);
    driver.onPermitWanted(want(true));
    await asker.answerAll();
    assert.equal(decisions.length, 1);
    assert.equal(decisions[0]?.decision.withdraw, false);
    assert.deepEqual(decisions[0]?.decision.fleet, {
      announcing: 3,
      total: 5,
      min: 2,
      answered: 3,
      granted: 0,
      known: 3,
    });
    assert.deepEqual(asker.releases, ['dns']);
    clock.advance(GUARD_RECHECK_MS - 1);
    assert.equal(asker.acquires.length, 1);
    clock.advance(1);
    assert.equal(asker.acquires.length, 2);
    await asker.answerAll();
    // Repeats log at debug: only the change is loud.
    assert.deepEqual(events(lines), [
      ['guard.permit_refused', 'warn'],
      ['guard.permit_refused', 'debug'],
    ]);
    // Other nodes came back: the permit comes, it withdraws and stops asking.
    asker.next = () => [1, 2, 3].map((i) => ({ director: `d${i}`, answer: answer(true, 5) }));
    clock.advance(GUARD_RECHECK_MS);
    await asker.answerAll();
    assert.equal(decisions.at(-1)?.decision.withdraw, true);
    assert.deepEqual(events(lines).at(-1), ['guard.permit_granted', 'info']);
    const before = asker.acquires.length;
    const released = asker.releases.length;
    clock.advance(GUARD_RECHECK_MS * 5);
    assert.equal(asker.acquires.length, before, 'no asking after the withdrawal');
    assert.equal(asker.releases.length, released, 'a used permit is not released');
    assert.equal(clock.timerCount, 0);
    assert.deepEqual(driver.active, ['dns']);
    driver.onPermitWanted(want(false));
    assert.deepEqual(driver.active, []);
  });

  it('a withdrawal the daemon acts on at once (no permit wanted any more) releases nothing', async () => {
    const asker = new FakeAsker();
    asker.next = () => [1, 2, 3].map((i) => ({ director: `d${i}`, answer: answer(true, 5) }));
    const clock = new ManualClock();
    const driver: FleetGuard = new FleetGuard({
      asker: () => asker,
      // As the daemon does: the transition to down says at once no permit is wanted.
      decide: () => driver.onPermitWanted(want(false)),
      clock,
      log: pino({ level: 'silent' }),
    });
    driver.onPermitWanted(want(true));
    await asker.answerAll();
    assert.deepEqual(asker.releases, []);
    assert.equal(clock.timerCount, 0);
  });

  it('never two acquires in flight for one service', async () => {
    const asker = new FakeAsker();
    const { driver, clock } = setup(asker);
    driver.onPermitWanted(want(true));
    driver.onPermitWanted(want(true));
    driver.onPermitWanted(want(false));
    driver.onPermitWanted(want(true));
    clock.advance(GUARD_RECHECK_MS * 3);
    assert.equal(asker.acquires.length, 1);
    assert.equal(asker.maxInFlight, 1);
    await asker.answerAll();
    // The answer was for an older round: released, and asked again for this one.
    assert.equal(asker.acquires.length, 2);
    assert.equal(asker.maxInFlight, 1);
  });

  it('recovery while asking: the late answer is not used, and the permit is released', async () => {
    const asker = new FakeAsker();
    asker.next = () => [1, 2, 3].map((i) => ({ director: `d${i}`, answer: answer(true, 5) }));
    const { driver, decisions, clock } = setup(asker);
    driver.onPermitWanted(want(true));
    driver.onPermitWanted(want(false));
    await asker.answerAll();
    assert.deepEqual(decisions, []);
    assert.deepEqual(asker.releases, ['dns']);
    clock.advance(GUARD_RECHECK_MS * 3);
    assert.equal(asker.acquires.length, 1);
  });

  it('recovery while guarded stops the re-asking', async () => {
    const asker = new FakeAsker();
    const { driver, clock } = setup(asker);
    driver.onPermitWanted(want(true));
    await asker.answerAll();
    assert.equal(clock.timerCount, 1);
    driver.onPermitWanted(want(false));
    assert.equal(clock.timerCount, 0);
    clock.advance(GUARD_RECHECK_MS * 3);
    assert.equal(asker.acquires.length, 1);
  });

  it('no director answering: "withdraw" lets local health decide; "hold" holds and keeps asking', async () => {
    const asker = new FakeAsker();
    asker.next = () => [1, 2, 3].map((i) => ({ director: `d${i}`, error: 'ECONNREFUSED' }));
    const { driver, decisions, lines, clock } = setup(asker);
    driver.onPermitWanted(want(true));
    await asker.answerAll();
    assert.equal(decisions[0]?.decision.withdraw, true);
    assert.deepEqual(events(lines), [['guard.directors_unreachable', 'warn']]);
    driver.onPermitWanted(want(false));

    driver.onPermitWanted({ ...want(true), guard: { ...guard, whenDirectorsUnreachable: 'hold' } });
    await asker.answerAll();
    assert.equal(decisions[1]?.decision.withdraw, false);
    clock.advance(GUARD_RECHECK_MS);
    assert.equal(asker.acquires.length, 3);
  });

  it('without a client (no [directors]) it decides by when_directors_unreachable', async () => {
    const { driver, decisions } = setup(null);
    driver.onPermitWanted(want(true));
    await flush();
    assert.equal(decisions[0]?.decision.withdraw, true);
  });

  it('an asker that throws counts as no answer', async () => {
    const asker = new FakeAsker();
    asker.acquire = () => Promise.reject(new Error('boom'));
    const { driver, decisions } = setup(asker);
    driver.onPermitWanted({ ...want(true), guard: { ...guard, whenDirectorsUnreachable: 'hold' } });
    await flush();
    assert.equal(decisions[0]?.decision.withdraw, false);
  });

  it('stop: no more asking, answers in flight dropped, nothing released', async () => {
    const asker = new FakeAsker();
    const { driver, decisions, clock } = setup(asker);
    driver.onPermitWanted(want(true));
    driver.stop();
    await asker.answerAll();
    clock.advance(GUARD_RECHECK_MS * 3);
    assert.deepEqual(decisions, []);
    assert.deepEqual(asker.releases, []);
    driver.onPermitWanted(want(true));
    assert.equal(asker.acquires.length, 1);
  });

  it('any interleaving: at most one acquire in flight, and every acquire ends used or released', async () => {
    const step = fc.oneof(
      fc.constant('want' as const),
      fc.constant('recover' as const),
      fc.constant('answer' as const),
      fc.constant('tick' as const),
      fc.constant('grant' as const),
      fc.constant('refuse' as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const asker = new FakeAsker();
        let granting = false;
        asker.next = () =>
          [1, 2, 3].map((i) => ({ director: `d${i}`, answer: answer(granting, 5) }));
        const clock = new ManualClock();
        let used = 0;
        let wanted = false;
        const driver: FleetGuard = new FleetGuard({
          asker: () => asker,
          decide: (_service, decision) => {
            assert.equal(wanted, true, 'a decision only while wanted');
            if (decision.withdraw) {
              used += 1;
              // As the daemon does: down, no permit wanted any more.
              wanted = false;
              driver.onPermitWanted(want(false));
            }
          },
          clock,
          log: pino({ level: 'silent' }),
        });
        for (const s of steps) {
          if (s === 'want' || s === 'recover') {
            wanted = s === 'want';
            driver.onPermitWanted(want(wanted));
          } else if (s === 'answer') await asker.answerAll();
          else if (s === 'tick') clock.advance(GUARD_RECHECK_MS);
          else granting = s === 'grant';
          assert.ok(asker.maxInFlight <= 1);
        }
        wanted = false;
        driver.onPermitWanted(want(false));
        await asker.answerAll();
        assert.equal(asker.inFlight, 0);
        // Each acquire's permit was used (withdrawn) or released, never left lingering.
        assert.ok(
          used + asker.releases.length >= asker.acquires.length,
          `${asker.acquires.length} acquires, ${used} used, ${asker.releases.length} released`,
        );
        assert.equal(clock.timerCount, 0);
      }),
    );
  });
});
