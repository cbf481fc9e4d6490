export * from './constants.js';
export * from './errors.js';
export * from './prefix.js';
export type * from './types.js';
export * from './codec/index.js';
export { BgpSpeaker } from './speaker.js';
export {
  attributesOf,
  checkPeerOptions,
  checkSpeakerOptions,
  community,
  degradeKeys,
  largeCommunity,
  parseBgpSettings,
  PEER_DEFAULTS,
  SpeakerConfigError,
  type AnnounceAttributes,
  type BgpConfig,
  type PeerOptions,
  type SpeakerOptions,
} from './options.js';
export { withPasswordFromFile } from './password-file.js';
export type { PeerStatus } from './peer-session.js';
export type { ReceivedRoute } from './adj-rib-in.js';
export type { ErrorRecord } from './notifications.js';
export type { SessionDownReason } from './fsm.js';
export type { RouteAttributes } from './export-policy.js';
