/**
 * Packs route changes into as few UPDATE messages as the 4,096-byte limit allows
 * (RFC 4271 section 4.1): many NLRI per UPDATE where the attributes are equal,
 * withdrawals packed the same way. IPv4 uses the classic NLRI and Withdrawn
 * Routes fields; IPv6 uses MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
 * End-of-RIB markers per RFC 4724 section 2.
 */
import { Afi, HEADER_LENGTH, MAX_MESSAGE_LENGTH, Safi } from './constants.js';
import { nlriLength } from './codec/index.js';
import type { Family, Prefix } from './prefix.js';
import type { PathAttributes, UpdateMessage } from './types.js';

/** Bytes of an UPDATE outside attributes and NLRI: header + two 2-byte length fields. */
export const FIXED_UPDATE_BYTES = HEADER_LENGTH + 2 + 2;
/** Slack for an attribute length field growing from one byte to two as NLRI are added. */
const LENGTH_FIELD_SLACK = 1;

export function withdrawUpdates(family: Family, prefixes: readonly Prefix[]): UpdateMessage[] {
  const messages: UpdateMessage[] = [];
  if (family === 'ipv4') {
    for (const chunk of chunkBySize(prefixes, MAX_MESSAGE_LENGTH - FIXED_UPDATE_BYTES)) {
      messages.push({ type: 'update', withdrawn: chunk, attributes: {}, nlri: [] });
    }
    return messages;
  }
  // MP_UNREACH_NLRI: flags, type, 2-byte length, AFI, SAFI.
  const overhead = FIXED_UPDATE_BYTES + 4 + 3 + LENGTH_FIELD_SLACK;
  for (const chunk of chunkBySize(prefixes, MAX_MESSAGE_LENGTH - overhead)) {
    messages.push({
      type: 'update',
      withdrawn: [],
      attributes: { mpUnreach: { afi: Afi.Ipv6, safi: Safi.Unicast, withdrawn: chunk } },
      nlri: [],
    });
  }
  return messages;
}

/**
 * `attributesSize` is the encoded size of the attributes with no NLRI; the caller
 * measures it once per attribute set (adj-rib-out.ts encodes an UPDATE without
 * NLRI), so the packer needs no encoder of its own.
 */
export function announceUpdates(
  family: Family,
  attributes: PathAttributes,
  attributesSize: number,
  prefixes: readonly Prefix[],
): UpdateMessage[] {
  const room = MAX_MESSAGE_LENGTH - FIXED_UPDATE_BYTES - attributesSize - LENGTH_FIELD_SLACK;
  const messages: UpdateMessage[] = [];
  for (const chunk of chunkBySize(prefixes, room)) {
    if (family === 'ipv4') {
      messages.push({ type: 'update', withdrawn: [], attributes, nlri: chunk });
    } else {
      const mpReach = attributes.mpReach;
      if (mpReach === undefined) throw new Error('IPv6 route attributes carry no MP_REACH_NLRI');
      messages.push({
        type: 'update',
        withdrawn: [],
        attributes: { ...attributes, mpReach: { ...mpReach, nlri: chunk } },
        nlri: [],
      });
    }
  }
  return messages;
}

/** RFC 4724 section 2: an empty UPDATE for IPv4, an empty MP_UNREACH_NLRI otherwise. */
export function endOfRib(family: Family): UpdateMessage {
  if (family === 'ipv4') return { type: 'update', withdrawn: [], attributes: {}, nlri: [] };
  return {
    type: 'update',
    withdrawn: [],
    attributes: { mpUnreach: { afi: Afi.Ipv6, safi: Safi.Unicast, withdrawn: [] } },
    nlri: [],
  };
}

function* chunkBySize(prefixes: readonly Prefix[], room: number): Generator<Prefix[]> {
  let chunk: Prefix[] = [];
  let used = 0;
  for (const prefix of prefixes) {
    const size = nlriLength(prefix);
    if (used + size > room && chunk.length > 0) {
      yield chunk;
      chunk = [];
      used = 0;
    }
    chunk.push(prefix);
    used += size;
  }
  if (chunk.length > 0) yield chunk;
}
