/**
 * Packs route changes into as few UPDATE messages as the 4,096-byte limit allows
 * (RFC 4271 section 4.1 and 4.3): many NLRI per UPDATE where the attributes are equal,
 * withdrawals packed the same way. IPv4 uses the classic NLRI and Withdrawn Routes
 * fields; IPv6 uses MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 sections 3 and 4).
 * End-of-RIB markers per RFC 4724 section 2.
 *
 * Hot path of a full-table send: routes come as prefix keys (prefix.ts prefixKey) and their
 * NLRI are written from the key's text straight into the message, so a table of any size
 * costs one allocation per UPDATE and none per route. The attributes come encoded once per
 * attribute set (EncodedAttributes, built with the codec's encodeAttributes).
 */
import { encodeAttributes } from './codec/attributes.js';
import {
  Afi,
  AttrFlag,
  AttrType,
  HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  Safi,
} from './constants.js';
import { keyNlriLength, writeKeyNlri } from './prefix.js';
import type { Family } from './prefix.js';
import type { CodecContext, PathAttributes, UpdateMessage } from './types.js';

/** Bytes of an UPDATE outside attributes and NLRI: header + two 2-byte length fields. */
export const FIXED_UPDATE_BYTES = HEADER_LENGTH + 2 + 2;
/** MP_REACH_NLRI / MP_UNREACH_NLRI attribute header with an extended (2-byte) length. */
const EXTENDED_ATTR_HEADER = 4;
/** MP_UNREACH_NLRI value before its NLRI: AFI and SAFI. */
const MP_UNREACH_FIXED = 3;

/**
 * One attribute set, encoded for one session: what every UPDATE carrying it repeats.
 * IPv4: `attributes` is the whole Path Attributes field. IPv6: `mpReachHead` is the
 * MP_REACH_NLRI value up to its NLRI (AFI, SAFI, next hop, reserved octet), `attributes`
 * the other attributes, which follow it (RFC 7606 section 5.1: MP_REACH_NLRI first).
 */
export interface EncodedAttributes {
  readonly family: Family;
  readonly attributes: Uint8Array;
  readonly mpReachHead?: Uint8Array;
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** Encodes exported attributes (no NLRI) for `family` once, for every UPDATE that carries them. */
export function encodeForPacking(
  family: Family,
  attributes: PathAttributes,
  context: CodecContext,
): EncodedAttributes {
  if (family === 'ipv4')
    return { family, attributes: concat(encodeAttributes(attributes, context)) };
  const { mpReach, ...rest } = attributes;
  if (mpReach === undefined) throw new Error('IPv6 route attributes carry no MP_REACH_NLRI');
  // The codec writes MP_REACH_NLRI with an extended length always: its value follows 4 octets.
  const [reach] = encodeAttributes({ mpReach: { ...mpReach, nlri: [] } }, context);
  if (reach === undefined) throw new Error('MP_REACH_NLRI did not encode');
  return {
    family,
    attributes: concat(encodeAttributes(rest, context)),
    mpReachHead: reach.slice(EXTENDED_ATTR_HEADER),
  };
}

/** Room for NLRI in an UPDATE announcing with these attributes. */
export function announceRoom(encoded: EncodedAttributes): number {
  const mp =
    encoded.mpReachHead === undefined ? 0 : EXTENDED_ATTR_HEADER + encoded.mpReachHead.length;
  return MAX_MESSAGE_LENGTH - FIXED_UPDATE_BYTES - encoded.attributes.length - mp;
}

/** Room for withdrawn NLRI in an UPDATE of `family`. */
function withdrawRoom(family: Family): number {
  return family === 'ipv4'
    ? MAX_MESSAGE_LENGTH - FIXED_UPDATE_BYTES
    : MAX_MESSAGE_LENGTH - FIXED_UPDATE_BYTES - EXTENDED_ATTR_HEADER - MP_UNREACH_FIXED;
}

function header(out: Uint8Array): void {
  out.fill(0xff, 0, 16);
  out[16] = out.length >> 8;
  out[17] = out.length & 0xff;
  out[18] = MessageType.Update;
}

function put16(out: Uint8Array, at: number, value: number): void {
  out[at] = value >> 8;
  out[at + 1] = value & 0xff;
}

/** How many of `keys[from..]` fit in `room` bytes of NLRI (at least one): the end index and their size. */
function nextChunk(
  keys: readonly string[],
  from: number,
  room: number,
): [end: number, bytes: number] {
  let bytes = 0;
  let end = from;
  while (end < keys.length) {
    const size = keyNlriLength(keys[end] as string);
    if (bytes + size > room && end > from) break;
    bytes += size;
    end++;
  }
  return [end, bytes];
}

function writeNlri(
  out: Uint8Array,
  at: number,
  keys: readonly string[],
  from: number,
  to: number,
): number {
  let p = at;
  for (let i = from; i < to; i++) p = writeKeyNlri(out, p, keys[i] as string);
  return p;
}

/** UPDATEs announcing `keys` (all of `encoded.family`) with the encoded attributes. */
export function packAnnouncements(
  encoded: EncodedAttributes,
  keys: readonly string[],
  emit: (message: Uint8Array) => void,
): void {
  const room = announceRoom(encoded);
  const attrs = encoded.attributes;
  const head = encoded.mpReachHead;
  for (let from = 0; from < keys.length;) {
    const [to, nlriBytes] = nextChunk(keys, from, room);
    if (head === undefined) {
      const out = new Uint8Array(FIXED_UPDATE_BYTES + attrs.length + nlriBytes);
      header(out);
      put16(out, 19, 0);
      put16(out, 21, attrs.length);
      out.set(attrs, 23);
      writeNlri(out, 23 + attrs.length, keys, from, to);
      emit(out);
    } else {
      const reachLength = head.length + nlriBytes;
      const pathLength = EXTENDED_ATTR_HEADER + reachLength + attrs.length;
      const out = new Uint8Array(FIXED_UPDATE_BYTES + pathLength);
      header(out);
      put16(out, 19, 0);
      put16(out, 21, pathLength);
      out[23] = AttrFlag.Optional | AttrFlag.ExtendedLength;
      out[24] = AttrType.MpReachNlri;
      put16(out, 25, reachLength);
      out.set(head, 27);
      const end = writeNlri(out, 27 + head.length, keys, from, to);
      out.set(attrs, end);
      emit(out);
    }
    from = to;
  }
}

/** UPDATEs withdrawing `keys` (all of `family`). */
export function packWithdrawals(
  family: Family,
  keys: readonly string[],
  emit: (message: Uint8Array) => void,
): void {
  const room = withdrawRoom(family);
  for (let from = 0; from < keys.length;) {
    const [to, nlriBytes] = nextChunk(keys, from, room);
    if (family === 'ipv4') {
      const out = new Uint8Array(FIXED_UPDATE_BYTES + nlriBytes);
      header(out);
      put16(out, 19, nlriBytes);
      writeNlri(out, 21, keys, from, to);
      put16(out, 21 + nlriBytes, 0);
      emit(out);
    } else {
      // Extended Length only when needed, as the codec does (an End-of-RIB stays 3 octets).
      const valueLength = MP_UNREACH_FIXED + nlriBytes;
      const extended = valueLength > 255;
      const attrHeader = extended ? 4 : 3;
      const out = new Uint8Array(FIXED_UPDATE_BYTES + attrHeader + valueLength);
      header(out);
      put16(out, 19, 0);
      put16(out, 21, attrHeader + valueLength);
      out[23] = AttrFlag.Optional | (extended ? AttrFlag.ExtendedLength : 0);
      out[24] = AttrType.MpUnreachNlri;
      if (extended) put16(out, 25, valueLength);
      else out[25] = valueLength;
      const v = 23 + attrHeader;
      put16(out, v, Afi.Ipv6);
      out[v + 2] = Safi.Unicast;
      writeNlri(out, v + 3, keys, from, to);
      emit(out);
    }
    from = to;
  }
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
