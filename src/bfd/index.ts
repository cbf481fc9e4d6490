/**
 * BFD (RFC 5880, single hop RFC 5881) for the embedded speaker's peers: the pure codec
 * and session state machine, the engine that demultiplexes packets, the worker thread
 * that runs them against real sockets, and the main thread's manager. docs/bfd.md.
 */
export * from './codec.js';
export { BfdSession, SLOW_TX_US } from './session.js';
export type { BfdSessionView, BfdStateChange, BfdTimers } from './session.js';
export { BFD_PORT, BFD_TTL, BfdEngine, normalizeAddress, type DropReason } from './engine.js';
export {
  BFD_DEFAULTS,
  bfdSchema,
  bfdTable,
  parseBfdSetting,
  toMicros,
  type BfdOptions,
  type BfdTable,
} from './options.js';
export {
  BfdManager,
  type BfdManagerOptions,
  type BfdPeerStatus,
  type BfdSessionSpec,
} from './manager.js';
export { applyChanges, holdsBgpDown, INITIAL_GATE, type GateCounts } from './gate.js';
