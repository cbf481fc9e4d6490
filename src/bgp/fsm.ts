/**
 * The BGP finite state machine as a pure transition function.
 *
 * RFC 4271 section 8 (states, events, actions), section 10 (timer jitter),
 * RFC 6608 (FSM error subcodes), RFC 9687 (send hold timer), RFC 6793 (4-octet AS
 * in OPEN), RFC 4760 (family negotiation), RFC 6286 (BGP Identifier).
 *
 * State and event in, new state and actions out: no sockets, no timers, no clock.
 * The session carries out the actions (connect, send, start a timer) and feeds
 * the follow-up events back in order.
 *
 * Known gaps and choices:
 * - Connection collision (RFC 4271 section 6.8): the session holds at most one
 *   second connection and reports it (`second-connection`, then `collision` with
 *   its OPEN); the FSM decides which connection survives and says so in actions.
 *   The FSM follows one connection at a time; the second gets no FSM of its own.
 * - After any failure the FSM goes to Idle and restarts itself after an idle-hold
 *   delay that backs off exponentially with consecutive failures (the optional
 *   DampPeerOscillations behaviour of section 8.1.1), so a flapping peer cannot
 *   make us spin. The count resets once an Established session hears from its peer.
 * - DelayOpen and the optional Connect-state OPEN handling are not implemented.
 */
import { CeaseSubcode, ErrorCode, FsmSubcode } from './constants.js';
import { BgpProtocolError } from './errors.js';
import type {
  FsmAction,
  FsmConfig,
  FsmEnvironment,
  FsmEvent,
  FsmState,
  SessionDownReason,
  TimerName,
  Transition,
} from './fsm-types.js';
import { negotiate } from './open-negotiation.js';
import type { NotificationMessage, OpenMessage } from './types.js';

export type * from './fsm-types.js';

export const initialFsmState: FsmState = { name: 'idle', enabled: false, failures: 0 };

const allTimers: readonly TimerName[] = ['connect-retry', 'hold', 'keepalive', 'idle-hold'];

/** RFC 4271 section 10: timers get a random factor between 0.75 and 1.0. */
export function jitter(seconds: number, env: FsmEnvironment): number {
  return seconds * (0.75 + 0.25 * env.random());
}

/** Backoff before attempt n+1 after n consecutive failures. */
export function backoffSeconds(config: FsmConfig, failures: number, env: FsmEnvironment): number {
  const base = config.connectRetry * 2 ** Math.min(failures, 16);
  return jitter(Math.min(config.maxConnectRetry, base), env);
}

export function transition(
  state: FsmState,
  event: FsmEvent,
  config: FsmConfig,
  env: FsmEnvironment,
): Transition {
  if (event.type === 'start') return start(state, config, env);
  if (event.type === 'stop') return stop(state, event.notification);
  if (event.type === 'second-connection') return secondConnection(state);
  if (event.type === 'collision')
    return collision(state, event.open, event.initiatedLocally, config, env);
  if (event.type === 'send-hold-expired' && state.name !== 'idle') {
    return fail(state, config, env, 'send-hold-timer-expired', 'send hold timer expired', {
      notification: notificationOf(ErrorCode.SendHoldTimerExpired, 0, 'send hold timer expired'),
    });
  }
  if (state.name === 'open-sent' || state.name === 'open-confirm' || state.name === 'established') {
    const lost = connectionLost(state, event, config, env);
    if (lost !== undefined) return lost;
  }
  switch (state.name) {
    case 'idle':
      if (event.type === 'timer' && event.timer === 'idle-hold' && state.enabled) {
        return start({ ...state, enabled: false }, config, env);
      }
      return { state, actions: [] };
    case 'connect':
    case 'active':
      return connecting(state, event, config, env);
    case 'open-sent':
      return openSent(state, event, config, env);
    case 'open-confirm':
      return openConfirm(state, event, config, env);
    case 'established':
      return established(state, event, config, env);
  }
}

function start(state: FsmState, config: FsmConfig, env: FsmEnvironment): Transition {
  if (state.enabled && state.name !== 'idle') return { state, actions: [] };
  if (config.passive) {
    return {
      state: { ...state, name: 'active', enabled: true },
      actions: [{ type: 'stop-timer', timer: 'idle-hold' }],
    };
  }
  return {
    state: { ...state, name: 'connect', enabled: true },
    actions: [
      { type: 'stop-timer', timer: 'idle-hold' },
      { type: 'connect' },
      {
        type: 'start-timer',
        timer: 'connect-retry',
        seconds: backoffSeconds(config, state.failures, env),
      },
    ],
  };
}

/** States in which a connection is attached (and a second one may be held). */
function attached(state: FsmState): boolean {
  return (
    state.name === 'open-sent' || state.name === 'open-confirm' || state.name === 'established'
  );
}

function stop(state: FsmState, notification: NotificationMessage): Transition {
  const actions: FsmAction[] = [];
  if (attached(state)) {
    actions.push(
      { type: 'send-notification', notification },
      { type: 'close-second', notification, collision: false },
    );
  }
  if (state.name !== 'idle') actions.push({ type: 'disconnect' });
  if (state.name === 'established')
    actions.push({ type: 'session-down', reason: 'stopped', detail: 'stopped' });
  actions.push(...allTimers.map((timer): FsmAction => ({ type: 'stop-timer', timer })));
  return { state: { name: 'idle', enabled: false, failures: 0 }, actions };
}

/**
 * Any error after which the session is torn down: optionally send a NOTIFICATION,
 * close, go Idle and restart after a backed-off idle hold.
 */
function fail(
  state: FsmState,
  config: FsmConfig,
  env: FsmEnvironment,
  reason: SessionDownReason,
  detail: string,
  options: { readonly notification?: NotificationMessage } = {},
): Transition {
  const actions: FsmAction[] = [];
  if (options.notification !== undefined)
    actions.push({ type: 'send-notification', notification: options.notification });
  // The held second connection belonged to this attempt; it goes with it.
  if (attached(state))
    actions.push({ type: 'close-second', notification: collisionCease(), collision: false });
  actions.push({ type: 'disconnect' });
  if (state.name === 'established') actions.push({ type: 'session-down', reason, detail });
  actions.push(...allTimers.map((timer): FsmAction => ({ type: 'stop-timer', timer })));
  const failures = state.failures + 1;
  if (state.enabled) {
    actions.push({
      type: 'start-timer',
      timer: 'idle-hold',
      seconds: backoffSeconds(config, state.failures, env),
    });
  }
  return { state: { name: 'idle', enabled: state.enabled, failures }, actions };
}

/** Once a connection is attached, these end it in every state alike. */
function connectionLost(
  state: FsmState,
  event: FsmEvent,
  config: FsmConfig,
  env: FsmEnvironment,
): Transition | undefined {
  switch (event.type) {
    case 'tcp-failed':
      return fail(state, config, env, 'connection-closed', event.reason);
    case 'notification':
      return fail(state, config, env, 'notification-received', 'NOTIFICATION received');
    case 'protocol-error':
      return fail(state, config, env, 'protocol-error', event.error.message, {
        notification: event.error.toNotification(),
      });
    default:
      return undefined;
  }
}

/** A NOTIFICATION the FSM sends on its own account, built by BgpProtocolError like every other. */
function notificationOf(code: number, subcode: number, message: string): NotificationMessage {
  return new BgpProtocolError(code, subcode, message).toNotification();
}

function holdExpired(): { notification: NotificationMessage } {
  return { notification: notificationOf(ErrorCode.HoldTimerExpired, 0, 'hold timer expired') };
}

function unexpected(subcode: number, message: string): { notification: NotificationMessage } {
  return { notification: notificationOf(ErrorCode.FsmError, subcode, message) };
}

function collisionCease(): NotificationMessage {
  return notificationOf(
    ErrorCode.Cease,
    CeaseSubcode.ConnectionCollisionResolution,
    'connection collision',
  );
}

/**
 * RFC 4271 section 6.8: while OPENs are exchanged a second connection is held
 * until its OPEN names the peer's BGP Identifier; "a connection collision with an
 * existing BGP connection that is in the Established state causes closing of the
 * newly created connection". Without an attached connection there is nothing to
 * collide with, and the session never reports one.
 */
function secondConnection(state: FsmState): Transition {
  if (state.name === 'open-sent' || state.name === 'open-confirm')
    return { state, actions: [{ type: 'open-second' }] };
  return {
    state,
    actions: [{ type: 'close-second', notification: collisionCease(), collision: true }],
  };
}

/**
 * RFC 4271 section 6.8: the connection initiated by the speaker with the higher
 * BGP Identifier survives; the other is closed with Cease / Connection Collision
 * Resolution. The peer's Identifier comes from the second connection's OPEN (the
 * same peer is behind both). In Established the existing session stays.
 */
function collision(
  state: FsmState,
  open: OpenMessage,
  initiatedLocally: boolean,
  config: FsmConfig,
  env: FsmEnvironment,
): Transition {
  const closeSecond: Transition = {
    state,
    actions: [{ type: 'close-second', notification: collisionCease(), collision: true }],
  };
  if (state.name !== 'open-sent' && state.name !== 'open-confirm') return closeSecond;
  const keep = resolveCollision(config.routerId, open.routerId);
  if ((keep === 'keep-locally-initiated') !== initiatedLocally) return closeSecond;
  // The second connection has had our OPEN already: take its OPEN as if in OpenSent.
  const replay = openSent(
    { name: 'open-sent', enabled: state.enabled, failures: state.failures },
    { type: 'open', open },
    config,
    env,
  );
  return {
    state: replay.state,
    actions: [
      { type: 'switch-to-second', notification: collisionCease() },
      { type: 'stop-timer', timer: 'hold' },
      { type: 'stop-timer', timer: 'keepalive' },
      ...replay.actions,
    ],
  };
}

function connecting(
  state: FsmState,
  event: FsmEvent,
  config: FsmConfig,
  env: FsmEnvironment,
): Transition {
  switch (event.type) {
    case 'tcp-connected':
      return {
        state: { ...state, name: 'open-sent' },
        actions: [
          { type: 'stop-timer', timer: 'connect-retry' },
          { type: 'send-open' },
          { type: 'start-timer', timer: 'hold', seconds: config.openHoldTime },
        ],
      };
    case 'tcp-failed':
      // Section 8.2.2: a failed attempt in Connect moves to Active, where the
      // connect-retry timer (already running, backed off) triggers the next try.
      if (state.name === 'connect') {
        return { state: { ...state, name: 'active', failures: state.failures + 1 }, actions: [] };
      }
      return { state, actions: [] };
    case 'timer':
      if (event.timer === 'connect-retry' && !config.passive) {
        return {
          state: { ...state, name: 'connect' },
          actions: [
            { type: 'disconnect' },
            { type: 'connect' },
            {
              type: 'start-timer',
              timer: 'connect-retry',
              seconds: backoffSeconds(config, state.failures, env),
            },
          ],
        };
      }
      return { state, actions: [] };
    case 'open':
    case 'keepalive':
    case 'update':
    case 'route-refresh':
    case 'notification':
    case 'protocol-error':
      // No connection is attached in these states; a stray event is dropped.
      return { state, actions: [] };
    default:
      return { state, actions: [] };
  }
}

function openSent(
  state: FsmState,
  event: FsmEvent,
  config: FsmConfig,
  env: FsmEnvironment,
): Transition {
  switch (event.type) {
    case 'open': {
      const result = negotiate(event.open, config);
      if (result instanceof BgpProtocolError)
        return fail(state, config, env, 'protocol-error', result.message, {
          notification: result.toNotification(),
        });
      const actions: FsmAction[] = [
        { type: 'stop-timer', timer: 'hold' },
        { type: 'send-keepalive' },
      ];
      if (result.holdTime > 0) {
        actions.push(
          { type: 'start-timer', timer: 'hold', seconds: result.holdTime },
          { type: 'start-timer', timer: 'keepalive', seconds: jitter(result.keepaliveTime, env) },
        );
      }
      return { state: { ...state, name: 'open-confirm', negotiated: result }, actions };
    }
    case 'timer':
      if (event.timer === 'hold')
        return fail(
          state,
          config,
          env,
          'hold-timer-expired',
          'hold timer expired in OpenSent',
          holdExpired(),
        );
      return { state, actions: [] };
    case 'keepalive':
    case 'update':
    case 'route-refresh':
      return fail(
        state,
        config,
        env,
        'unexpected-message',
        `${event.type} before OPEN`,
        unexpected(FsmSubcode.UnexpectedMessageInOpenSent, `${event.type} before OPEN`),
      );
    default:
      return { state, actions: [] };
  }
}

function openConfirm(
  state: FsmState,
  event: FsmEvent,
  config: FsmConfig,
  env: FsmEnvironment,
): Transition {
  const negotiated = state.negotiated;
  switch (event.type) {
    case 'keepalive': {
      if (negotiated === undefined)
        return fail(state, config, env, 'unexpected-message', 'no negotiated session');
      const actions: FsmAction[] = [];
      if (negotiated.holdTime > 0)
        actions.push({ type: 'start-timer', timer: 'hold', seconds: negotiated.holdTime });
      actions.push({ type: 'established', negotiated });
      return { state: { ...state, name: 'established' }, actions };
    }
    case 'timer':
      return keepaliveOrHold(state, event.timer, config, env);
    case 'open':
    case 'update':
    case 'route-refresh':
      return fail(
        state,
        config,
        env,
        'unexpected-message',
        `${event.type} in OpenConfirm`,
        unexpected(FsmSubcode.UnexpectedMessageInOpenConfirm, `${event.type} in OpenConfirm`),
      );
    default:
      return { state, actions: [] };
  }
}

function established(
  state: FsmState,
  event: FsmEvent,
  config: FsmConfig,
  env: FsmEnvironment,
): Transition {
  const negotiated = state.negotiated;
  switch (event.type) {
    case 'keepalive':
    case 'update':
    case 'route-refresh': {
      // The peer is talking: the session is healthy, so the backoff starts over.
      const actions: FsmAction[] = [];
      if (negotiated !== undefined && negotiated.holdTime > 0) {
        actions.push({ type: 'start-timer', timer: 'hold', seconds: negotiated.holdTime });
      }
      return { state: state.failures === 0 ? state : { ...state, failures: 0 }, actions };
    }
    case 'timer':
      return keepaliveOrHold(state, event.timer, config, env);
    case 'open':
      return fail(
        state,
        config,
        env,
        'unexpected-message',
        'OPEN in Established',
        unexpected(FsmSubcode.UnexpectedMessageInEstablished, 'OPEN in Established'),
      );
    default:
      return { state, actions: [] };
  }
}

function keepaliveOrHold(
  state: FsmState,
  timer: TimerName,
  config: FsmConfig,
  env: FsmEnvironment,
): Transition {
  if (timer === 'hold')
    return fail(state, config, env, 'hold-timer-expired', 'hold timer expired', holdExpired());
  if (
    timer === 'keepalive' &&
    state.negotiated !== undefined &&
    state.negotiated.keepaliveTime > 0
  ) {
    return {
      state,
      actions: [
        { type: 'send-keepalive' },
        {
          type: 'start-timer',
          timer: 'keepalive',
          seconds: jitter(state.negotiated.keepaliveTime, env),
        },
      ],
    };
  }
  return { state, actions: [] };
}

/** Dotted quad to a 32-bit unsigned number, for identifier comparison. */
function routerIdValue(id: string): number {
  return id.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/**
 * RFC 4271 section 6.8: when two connections race, the one initiated by the
 * speaker with the higher BGP Identifier survives.
 * Returns which connection to keep.
 */
export function resolveCollision(
  localRouterId: string,
  remoteRouterId: string,
): 'keep-locally-initiated' | 'keep-remotely-initiated' {
  return routerIdValue(localRouterId) > routerIdValue(remoteRouterId)
    ? 'keep-locally-initiated'
    : 'keep-remotely-initiated';
}
