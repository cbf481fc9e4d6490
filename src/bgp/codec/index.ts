/**
 * The BGP wire codec: bytes and the negotiated session settings in, message
 * values or typed errors out. Pure: no sockets, timers or logging.
 */
export { afiOf, familyOfAfi, unicastFamily } from './family.js';
export { MessageFramer } from './header.js';
export { decodeMessage, encodeMessage } from './message.js';
export {
  encodeKeepalive,
  encodeShutdownCommunication,
  decodeShutdownCommunication,
} from './notification.js';
export { nlriLength } from './nlri.js';
export { decodeAttributes, encodeAttributes } from './attributes.js';
export {
  CommunityError,
  parseCommunity,
  formatCommunity,
  parseLargeCommunity,
  formatLargeCommunity,
} from './communities.js';
