import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AS_TRANS, CeaseSubcode, ErrorCode, OpenSubcode } from '../../../src/bgp/constants.js';
import { BgpProtocolError } from '../../../src/bgp/errors.js';
import {
  backoffSeconds,
  initialFsmState,
  resolveCollision,
  transition,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type TimerName,
} from '../../../src/bgp/fsm.js';
import { negotiate } from '../../../src/bgp/open-negotiation.js';
import type { OpenMessage } from '../../../src/bgp/types.js';

const config: FsmConfig = {
  localAsn: 65001,
  peerAsn: 65000,
  routerId: '198.18.0.1',
  holdTime: 30,
  passive: false,
  connectRetry: 5,
  maxConnectRetry: 120,
  openHoldTime: 240,
  families: ['ipv4', 'ipv6'],
};
const env = { random: () => 0.5 };

const peerOpen: OpenMessage = {
  type: 'open',
  version: 4,
  myAs: 65000,
  holdTime: 9,
  routerId: '198.18.0.2',
  capabilities: [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'multiprotocol', afi: 2, safi: 1 },
    { kind: 'route-refresh' },
    { kind: 'four-octet-as', asn: 65000 },
  ],
};

function run(events: FsmEvent[], start: FsmState = initialFsmState, cfg: FsmConfig = config) {
  let state = start;
  const actions: FsmAction[] = [];
  for (const event of events) {
    const result = transition(state, event, cfg, env);
    state = result.state;
    actions.push(...result.actions);
  }
  return { state, actions };
}

const toEstablished: FsmEvent[] = [
  { type: 'start' },
  { type: 'tcp-connected' },
  { type: 'open', open: peerOpen },
  { type: 'keepalive' },
];

function notifications(actions: readonly FsmAction[]) {
  return actions.flatMap((a) => (a.type === 'send-notification' ? [a.notification] : []));
}

describe('FSM (RFC 4271 section 8)', () => {
  it('connects out on start and sends OPEN once TCP is up', () => {
    const started = run([{ type: 'start' }]);
    assert.equal(started.state.name, 'connect');
    assert.deepEqual(
      started.actions.map((a) => a.type),
      ['stop-timer', 'connect', 'start-timer'],
    );
    const connected = run([{ type: 'tcp-connected' }], started.state);
    assert.equal(connected.state.name, 'open-sent');
    assert.ok(connected.actions.some((a) => a.type === 'send-open'));
    assert.ok(
      connected.actions.some(
        (a) => a.type === 'start-timer' && a.timer === 'hold' && a.seconds === 240,
      ),
      'a large hold timer guards the wait for OPEN',
    );
  });

  it('a passive peer waits in Active and never connects', () => {
    const { state, actions } = run(
      [{ type: 'start' }, { type: 'timer', timer: 'connect-retry' }],
      initialFsmState,
      {
        ...config,
        passive: true,
      },
    );
    assert.equal(state.name, 'active');
    assert.ok(!actions.some((a) => a.type === 'connect'));
  });

  it('negotiates the smaller hold time and keepalive at a third of it', () => {
    const { state, actions } = run(toEstablished);
    assert.equal(state.name, 'established');
    const established = actions.find((a) => a.type === 'established');
    assert.ok(established?.type === 'established');
    assert.equal(established.negotiated.holdTime, 9);
    assert.equal(established.negotiated.keepaliveTime, 3);
    assert.deepEqual(established.negotiated.families, ['ipv4', 'ipv6']);
    assert.equal(established.negotiated.fourOctetAs, true);
    assert.equal(established.negotiated.routeRefresh, true);
  });

  it('hold time 0 on either side disables hold and keepalive timers', () => {
    const { actions } = run([
      { type: 'start' },
      { type: 'tcp-connected' },
      { type: 'open', open: { ...peerOpen, holdTime: 0 } },
      { type: 'keepalive' },
    ]);
    const started = actions
      .filter((a) => a.type === 'start-timer')
      .map((a) => (a.type === 'start-timer' ? a.timer : ''));
    assert.deepEqual(
      started,
      ['connect-retry', 'hold'],
      'only the connect-retry and OpenSent hold timers ran',
    );
  });

  for (const state of ['open-sent', 'open-confirm', 'established'] as const) {
    it(`hold timer expiry in ${state} sends Hold Timer Expired, closes and backs off`, () => {
      const steps = { 'open-sent': 2, 'open-confirm': 3, established: 4 }[state];
      const before = run(toEstablished.slice(0, steps));
      assert.equal(before.state.name, state);
      const { state: after, actions } = run([{ type: 'timer', timer: 'hold' }], before.state);
      assert.equal(after.name, 'idle');
      assert.deepEqual(notifications(actions)[0]?.code, ErrorCode.HoldTimerExpired);
      assert.ok(actions.some((a) => a.type === 'disconnect'));
      assert.ok(actions.some((a) => a.type === 'start-timer' && a.timer === 'idle-hold'));
      assert.equal(
        actions.some((a) => a.type === 'session-down'),
        state === 'established',
      );
    });
  }

  for (const state of ['idle', 'connect', 'active'] as const) {
    it(`a stray hold timer in ${state} does nothing`, () => {
      const start: FsmState = { name: state, enabled: state !== 'idle', failures: 0 };
      const { state: after, actions } = run([{ type: 'timer', timer: 'hold' }], start);
      assert.equal(after.name, state);
      assert.deepEqual(actions, []);
    });
  }

  it('UPDATE before OPEN is an FSM error (RFC 6608 subcode 1)', () => {
    const { state, actions } = run([
      { type: 'start' },
      { type: 'tcp-connected' },
      { type: 'update' },
    ]);
    assert.equal(state.name, 'idle');
    assert.deepEqual(
      notifications(actions).map((n) => [n.code, n.subcode]),
      [[ErrorCode.FsmError, 1]],
    );
  });

  it('OPEN in Established is an FSM error (RFC 6608 subcode 3)', () => {
    const { actions } = run([...toEstablished, { type: 'open', open: peerOpen }]);
    assert.deepEqual(
      notifications(actions).map((n) => [n.code, n.subcode]),
      [[ErrorCode.FsmError, 3]],
    );
  });

  it('a manual stop in Established sends the given Cease and does not restart', () => {
    const cease = {
      type: 'notification' as const,
      code: ErrorCode.Cease,
      subcode: 2,
      data: new Uint8Array([0]),
    };
    const { state, actions } = run([...toEstablished, { type: 'stop', notification: cease }]);
    assert.equal(state.name, 'idle');
    assert.equal(state.enabled, false);
    assert.deepEqual(notifications(actions).at(-1), cease);
    const idleHold = run([{ type: 'timer', timer: 'idle-hold' }], state);
    assert.equal(idleHold.state.name, 'idle', 'a stopped session stays down');
  });

  it('restarts after the idle hold, backing off with consecutive failures and resetting once healthy', () => {
    let state = run([{ type: 'start' }, { type: 'tcp-connected' }]).state;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const failed = run([{ type: 'tcp-failed', reason: 'reset' }], state);
      const idleHold = failed.actions.find(
        (a) => a.type === 'start-timer' && a.timer === 'idle-hold',
      );
      assert.ok(idleHold?.type === 'start-timer');
      delays.push(idleHold.seconds);
      state = run(
        [{ type: 'timer', timer: 'idle-hold' }, { type: 'tcp-connected' }],
        failed.state,
      ).state;
      assert.equal(state.name, 'open-sent');
    }
    for (let i = 1; i < delays.length; i++)
      assert.ok((delays[i] ?? 0) >= (delays[i - 1] ?? 0), `non-decreasing: ${delays.join(', ')}`);
    assert.ok((delays.at(-1) ?? 0) <= 120, 'capped at maxConnectRetry');
    const healthy = run(
      [{ type: 'open', open: peerOpen }, { type: 'keepalive' }, { type: 'keepalive' }],
      state,
    );
    assert.equal(healthy.state.failures, 0);
  });

  it('applies RFC 4271 section 10 jitter between 0.75 and 1.0', () => {
    assert.equal(backoffSeconds(config, 0, { random: () => 0 }), 3.75);
    assert.equal(backoffSeconds(config, 0, { random: () => 0.999999 }) <= 5, true);
  });
});

describe('OPEN negotiation (RFC 4271 6.2, RFC 6793, RFC 4760)', () => {
  function openError(open: Partial<OpenMessage>, cfg: FsmConfig = config): BgpProtocolError {
    const result = negotiate({ ...peerOpen, ...open }, cfg);
    assert.ok(result instanceof BgpProtocolError, 'expected a rejection');
    return result;
  }

  it('rejects another BGP version and says which one we speak', () => {
    const error = openError({ version: 3 });
    assert.equal(error.subcode, OpenSubcode.UnsupportedVersionNumber);
    assert.deepEqual([...error.data], [0, 4]);
  });

  it('rejects the wrong peer AS', () => {
    assert.equal(
      openError({ capabilities: [{ kind: 'four-octet-as', asn: 65999 }] }).subcode,
      OpenSubcode.BadPeerAs,
    );
    assert.equal(openError({ myAs: 65999, capabilities: [] }).subcode, OpenSubcode.BadPeerAs);
  });

  it('accepts a 4-octet peer AS carried in the capability with AS_TRANS in My AS', () => {
    const result = negotiate(
      {
        ...peerOpen,
        myAs: AS_TRANS,
        capabilities: [{ kind: 'four-octet-as', asn: 4_200_000_000 }],
      },
      { ...config, peerAsn: 4_200_000_000 },
    );
    assert.ok(!(result instanceof BgpProtocolError));
    assert.equal(result.peerAsn, 4_200_000_000);
  });

  it('rejects hold times of 1 and 2 seconds', () => {
    assert.equal(openError({ holdTime: 1 }).subcode, OpenSubcode.UnacceptableHoldTime);
    assert.equal(openError({ holdTime: 2 }).subcode, OpenSubcode.UnacceptableHoldTime);
  });

  it('rejects identifier 0.0.0.0, and our own identifier on iBGP only (RFC 6286)', () => {
    assert.equal(openError({ routerId: '0.0.0.0' }).subcode, OpenSubcode.BadBgpIdentifier);
    const ibgp = { ...config, peerAsn: 65001 };
    const same = {
      routerId: config.routerId,
      capabilities: [{ kind: 'four-octet-as' as const, asn: 65001 }],
    };
    assert.equal(openError(same, ibgp).subcode, OpenSubcode.BadBgpIdentifier);
    assert.ok(
      !(negotiate({ ...peerOpen, routerId: config.routerId }, config) instanceof BgpProtocolError),
    );
  });

  it('treats a peer without multiprotocol capabilities as IPv4 unicast only', () => {
    const result = negotiate({ ...peerOpen, capabilities: [] }, config);
    assert.ok(!(result instanceof BgpProtocolError));
    assert.deepEqual(result.families, ['ipv4']);
    assert.equal(result.fourOctetAs, false);
  });

  it('fails with Unsupported Capability when no family is shared', () => {
    const error = openError(
      { capabilities: [{ kind: 'multiprotocol', afi: 2, safi: 1 }] },
      { ...config, families: ['ipv4'] },
    );
    assert.equal(error.subcode, OpenSubcode.UnsupportedCapability);
    assert.deepEqual([...error.data], [1, 4, 0, 1, 0, 1]);
  });
});

describe('collision resolution (RFC 4271 6.8)', () => {
  it('keeps the connection opened by the higher BGP Identifier', () => {
    assert.equal(resolveCollision('198.18.0.9', '198.18.0.10'), 'keep-remotely-initiated');
    assert.equal(resolveCollision('198.18.0.10', '198.18.0.9'), 'keep-locally-initiated');
    assert.equal(resolveCollision('10.0.0.1', '9.255.255.255'), 'keep-locally-initiated');
  });

  // Our identifier is 198.18.0.1 (config.routerId).
  const lower = '198.18.0.0';
  const higher = '198.18.0.2';
  const inOpenSent = run([{ type: 'start' }, { type: 'tcp-connected' }]).state;
  const inOpenConfirm = run([{ type: 'open', open: peerOpen }], inOpenSent).state;
  const inEstablished = run(toEstablished).state;
  const states = { 'open-sent': inOpenSent, 'open-confirm': inOpenConfirm };

  function isCollisionCease(notification: { code: number; subcode: number } | undefined) {
    return (
      notification?.code === ErrorCode.Cease &&
      notification.subcode === CeaseSubcode.ConnectionCollisionResolution
    );
  }

  it('holds a second connection while OPENs are exchanged and refuses one in Established', () => {
    for (const state of Object.values(states)) {
      const { state: after, actions } = run([{ type: 'second-connection' }], state);
      assert.deepEqual(after, state, 'the first connection carries on');
      assert.deepEqual(actions, [{ type: 'open-second' }]);
    }
    const { state, actions } = run([{ type: 'second-connection' }], inEstablished);
    assert.equal(state, inEstablished);
    assert.equal(actions.length, 1);
    const [close] = actions;
    assert.ok(close?.type === 'close-second' && close.collision);
    assert.ok(isCollisionCease(close.notification));
  });

  const cases: {
    peerId: string;
    secondInitiatedLocally: boolean;
    keep: 'existing' | 'second';
  }[] = [
    // Ours is higher: the connection we opened survives.
    { peerId: lower, secondInitiatedLocally: true, keep: 'second' },
    { peerId: lower, secondInitiatedLocally: false, keep: 'existing' },
    // Theirs is higher: the connection they opened survives.
    { peerId: higher, secondInitiatedLocally: false, keep: 'second' },
    { peerId: higher, secondInitiatedLocally: true, keep: 'existing' },
  ];
  for (const [name, before] of Object.entries(states)) {
    for (const c of cases) {
      it(`in ${name}, peer ${c.peerId}, second connection ${c.secondInitiatedLocally ? 'ours' : 'theirs'}: keeps the ${c.keep}`, () => {
        const open = { ...peerOpen, routerId: c.peerId };
        const { state, actions } = run(
          [{ type: 'collision', open, initiatedLocally: c.secondInitiatedLocally }],
          before,
        );
        if (c.keep === 'existing') {
          assert.deepEqual(state, before, 'the existing connection carries on untouched');
          assert.equal(actions.length, 1);
          const [close] = actions;
          assert.ok(close?.type === 'close-second' && close.collision);
          assert.ok(isCollisionCease(close.notification));
          return;
        }
        const [first, ...rest] = actions;
        assert.ok(first?.type === 'switch-to-second', 'the switch comes before anything is sent');
        assert.ok(isCollisionCease(first.notification));
        assert.ok(!rest.some((a) => a.type === 'disconnect' || a.type === 'send-notification'));
        // The second connection's OPEN is taken as in OpenSent: KEEPALIVE sent, OpenConfirm.
        assert.equal(state.name, 'open-confirm');
        assert.equal(state.negotiated?.peerRouterId, c.peerId);
        assert.ok(rest.some((a) => a.type === 'send-keepalive'));
        assert.ok(rest.some((a) => a.type === 'start-timer' && a.timer === 'hold'));
      });
    }
  }

  it('in Established the existing session stays, whichever Identifier is higher', () => {
    for (const peerId of [lower, higher]) {
      for (const initiatedLocally of [true, false]) {
        const { state, actions } = run(
          [{ type: 'collision', open: { ...peerOpen, routerId: peerId }, initiatedLocally }],
          inEstablished,
        );
        assert.equal(state, inEstablished);
        assert.equal(actions.length, 1);
        const [close] = actions;
        assert.ok(close?.type === 'close-second' && close.collision);
        assert.ok(isCollisionCease(close.notification));
      }
    }
  });

  it('an unacceptable OPEN on the winning second connection fails the session on it', () => {
    const open = { ...peerOpen, routerId: higher, myAs: 64999, capabilities: [] };
    const { state, actions } = run(
      [{ type: 'collision', open, initiatedLocally: false }],
      inOpenConfirm,
    );
    assert.equal(state.name, 'idle');
    assert.equal(actions[0]?.type, 'switch-to-second');
    const sent = notifications(actions);
    assert.deepEqual(
      sent.map((n) => [n.code, n.subcode]),
      [[ErrorCode.OpenMessage, OpenSubcode.BadPeerAs]],
    );
  });

  it('a failure or a stop closes a held second connection too', () => {
    const failed = run([{ type: 'timer', timer: 'hold' }], inOpenConfirm);
    const close = failed.actions.find((a) => a.type === 'close-second');
    assert.ok(close?.type === 'close-second' && !close.collision);
    assert.ok(isCollisionCease(close.notification));
    const cease = {
      type: 'notification' as const,
      code: ErrorCode.Cease,
      subcode: CeaseSubcode.AdministrativeShutdown,
      data: new Uint8Array(0),
    };
    const stopped = run([{ type: 'stop', notification: cease }], inOpenSent);
    assert.ok(
      stopped.actions.some((a) => a.type === 'close-second' && a.notification === cease),
      'the held connection gets the same Cease as the session',
    );
  });

  it('session-down carries a typed reason', () => {
    const { actions } = run([{ type: 'timer', timer: 'hold' }], inEstablished);
    const down = actions.find((a) => a.type === 'session-down');
    assert.ok(down?.type === 'session-down');
    assert.equal(down.reason, 'hold-timer-expired');
  });
});

describe('FSM properties', () => {
  const events: fc.Arbitrary<FsmEvent> = fc.oneof(
    fc.constant<FsmEvent>({ type: 'start' }),
    fc.constant<FsmEvent>({
      type: 'stop',
      notification: { type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) },
    }),
    fc
      .constantFrom<TimerName>('connect-retry', 'hold', 'keepalive', 'idle-hold')
      .map((timer): FsmEvent => ({ type: 'timer', timer })),
    fc.constant<FsmEvent>({ type: 'send-hold-expired' }),
    fc.constant<FsmEvent>({ type: 'tcp-connected' }),
    fc.constant<FsmEvent>({ type: 'tcp-failed', reason: 'x' }),
    fc
      .record({ holdTime: fc.constantFrom(0, 1, 3, 9, 90), myAs: fc.constantFrom(65000, 65001) })
      .map((o): FsmEvent => ({ type: 'open', open: { ...peerOpen, ...o, capabilities: [] } })),
    fc.constant<FsmEvent>({ type: 'keepalive' }),
    fc.constant<FsmEvent>({ type: 'update' }),
    fc.constant<FsmEvent>({ type: 'route-refresh' }),
    fc.constant<FsmEvent>({
      type: 'notification',
      notification: { type: 'notification', code: 6, subcode: 4, data: new Uint8Array(0) },
    }),
    fc.constant<FsmEvent>({ type: 'second-connection' }),
    fc
      .record({
        routerId: fc.constantFrom('198.18.0.0', '198.18.0.2'),
        initiatedLocally: fc.boolean(),
      })
      .map((o): FsmEvent => ({
        type: 'collision',
        open: { ...peerOpen, routerId: o.routerId },
        initiatedLocally: o.initiatedLocally,
      })),
  );

  it('random event sequences keep the FSM consistent', () => {
    fc.assert(
      fc.property(fc.array(events, { maxLength: 60 }), fc.boolean(), (sequence, passive) => {
        const cfg = { ...config, passive };
        let state = initialFsmState;
        const running = new Set<TimerName>();
        let up = false;
        for (const event of sequence) {
          const before = state;
          const result = transition(state, event, cfg, env);
          state = result.state;
          for (const action of result.actions) {
            if (action.type === 'start-timer') {
              assert.ok(action.seconds >= 0);
              running.add(action.timer);
            }
            if (action.type === 'stop-timer') running.delete(action.timer);
            if (action.type === 'established') {
              assert.equal(state.name, 'established');
              assert.equal(up, false, 'established twice without session-down');
              up = true;
            }
            if (action.type === 'session-down') {
              assert.equal(before.name, 'established');
              up = false;
            }
            if (action.type === 'connect')
              assert.equal(passive, false, 'a passive peer never connects');
          }
          if (event.type === 'timer' && before.name === state.name && result.actions.length === 0)
            continue;
          assert.equal(up, state.name === 'established');
          if (state.name === 'idle') {
            assert.ok(
              !running.has('hold') && !running.has('keepalive'),
              'no session timers in Idle',
            );
          }
          if (event.type === 'stop') {
            assert.equal(state.name, 'idle');
            assert.equal(state.enabled, false);
            assert.equal(running.size, 0, 'stop clears every timer');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
