/**
 * The vocabulary of the BGP FSM (fsm.ts): its states, events, actions and
 * settings, apart from the transition function so the session and tests can
 * name them without the logic.
 *
 * RFC 4271 section 8.1 (events), 8.2.2 (states); RFC 4271 section 6.8 (the two
 * collision events); RFC 9687 (send hold timer).
 */
import type { BgpProtocolError } from './errors.js';
import type { Family } from './prefix.js';
import type { Capability, NotificationMessage, OpenMessage } from './types.js';

export type FsmStateName =
  'idle' | 'connect' | 'active' | 'open-sent' | 'open-confirm' | 'established';

export type TimerName = 'connect-retry' | 'hold' | 'keepalive' | 'idle-hold';

/** Why a session left a state for Idle; `session-down` carries it when it was Established. */
export type SessionDownReason =
  /** ManualStop: we closed it (with the Cease we were given). */
  | 'stopped'
  | 'hold-timer-expired'
  /** RFC 9687: our writes were stuck for the send hold time. */
  | 'send-hold-timer-expired'
  | 'notification-received'
  /** The peer sent something we could not accept; we sent the NOTIFICATION. */
  | 'protocol-error'
  /** A message the state does not allow (RFC 6608 FSM error); we sent the NOTIFICATION. */
  | 'unexpected-message'
  /** TCP closed or failed under us. */
  | 'connection-closed';

export interface FsmConfig {
  readonly localAsn: number;
  readonly peerAsn: number;
  readonly routerId: string;
  /** Our proposed hold time in seconds: 0, or 3 and above. */
  readonly holdTime: number;
  /** Wait for the peer to connect; never connect out. */
  readonly passive: boolean;
  /** Base connect-retry / idle-hold delay in seconds; doubles per consecutive failure. */
  readonly connectRetry: number;
  /** Upper bound of the backoff, seconds. */
  readonly maxConnectRetry: number;
  /** Hold time while waiting for the peer's OPEN (RFC 4271 suggests 4 minutes). */
  readonly openHoldTime: number;
  readonly families: readonly Family[];
}

/** What both OPENs agreed on. */
export interface Negotiated {
  readonly peerAsn: number;
  readonly peerRouterId: string;
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly families: readonly Family[];
  readonly fourOctetAs: boolean;
  readonly routeRefresh: boolean;
  readonly peerCapabilities: readonly Capability[];
}

export interface FsmState {
  readonly name: FsmStateName;
  /** ManualStart seen and no ManualStop since. */
  readonly enabled: boolean;
  /** Consecutive failures since the last healthy session; drives backoff. */
  readonly failures: number;
  readonly negotiated?: Negotiated;
}

export type FsmEvent =
  | { readonly type: 'start' }
  | { readonly type: 'stop'; readonly notification: NotificationMessage }
  | { readonly type: 'timer'; readonly timer: TimerName }
  /** RFC 9687: our writes have been stuck for the send hold time. */
  | { readonly type: 'send-hold-expired' }
  /** A TCP connection is up: our outgoing one, or an accepted incoming one. */
  | { readonly type: 'tcp-connected' }
  /** The connection attempt failed, or the connection closed. */
  | { readonly type: 'tcp-failed'; readonly reason: string }
  | { readonly type: 'open'; readonly open: OpenMessage }
  | { readonly type: 'keepalive' }
  | { readonly type: 'update' }
  | { readonly type: 'route-refresh' }
  | { readonly type: 'notification'; readonly notification: NotificationMessage }
  /** A message failed to decode in a way that resets the session. */
  | { readonly type: 'protocol-error'; readonly error: BgpProtocolError }
  /** RFC 4271 6.8: another TCP connection with this peer came up while one is attached. */
  | { readonly type: 'second-connection' }
  /** RFC 4271 6.8: the OPEN arrived on the held second connection; `initiatedLocally` is its direction. */
  | { readonly type: 'collision'; readonly open: OpenMessage; readonly initiatedLocally: boolean };

export type FsmAction =
  | { readonly type: 'connect' }
  | { readonly type: 'disconnect' }
  | { readonly type: 'send-open' }
  | { readonly type: 'send-keepalive' }
  | { readonly type: 'send-notification'; readonly notification: NotificationMessage }
  | { readonly type: 'start-timer'; readonly timer: TimerName; readonly seconds: number }
  | { readonly type: 'stop-timer'; readonly timer: TimerName }
  | { readonly type: 'established'; readonly negotiated: Negotiated }
  | {
      readonly type: 'session-down';
      readonly reason: SessionDownReason;
      /** Free text for the log: the error message, the socket's reason. */
      readonly detail: string;
    }
  /** Send our OPEN on the held second connection and wait for its OPEN. */
  | { readonly type: 'open-second' }
  /**
   * Close the held second connection (if any) with this NOTIFICATION. `collision`
   * is true when section 6.8 chose the other connection, false when the session ended.
   */
  | {
      readonly type: 'close-second';
      readonly notification: NotificationMessage;
      readonly collision: boolean;
    }
  /** Section 6.8 chose the second connection: close the current one with this NOTIFICATION and carry on with the second. */
  | { readonly type: 'switch-to-second'; readonly notification: NotificationMessage };

export interface Transition {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

/** Randomness comes in from outside so the function stays pure. */
export interface FsmEnvironment {
  /** Uniform in [0, 1). */
  readonly random: () => number;
}
