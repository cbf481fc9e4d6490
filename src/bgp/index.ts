export * from './constants.js';
export * from './errors.js';
export * from './prefix.js';
export type * from './types.js';
export * from './codec/index.js';
export { BgpSpeaker, SpeakerConfigError } from './speaker.js';
export type { AnnounceAttributes, PeerOptions, SpeakerOptions } from './speaker.js';
export type { PeerStatus, ReceivedRoute, ErrorRecord } from './peer-session.js';
export type { RouteAttributes } from './export-policy.js';
