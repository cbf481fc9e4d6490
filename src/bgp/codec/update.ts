/**
 * UPDATE messages.
 *
 * RFC 4271 sections 4.3 and 6.3; RFC 7606 sections 3.d, 3.g, 4 and 5.3 (revised
 * error handling: treat-as-withdraw instead of a session reset where possible);
 * RFC 4760 (IPv6 and End-of-RIB via MP_UNREACH_NLRI, RFC 4724 section 2).
 * Attribute details are in attributes.ts.
 * Gaps: no ADD-PATH, no RFC 8654 extended messages.
 */
import {
  Afi,
  AttrType,
  HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  UpdateSubcode,
} from '../constants.js';
import { BgpEncodeError } from '../errors.js';
import type { BgpProtocolError } from '../errors.js';
import type { Prefix } from '../prefix.js';
import type { CodecContext, MpReach, MpUnreach, UpdateMessage } from '../types.js';
import type { MutablePathAttributes } from './attributes.js';
import { decodeAttributes, encodeAttributes, updateError } from './attributes.js';
import { allocMessage } from './header.js';
import { decodePrefixes, prefixesLength, writePrefixes } from './nlri.js';
import { put16, u16 } from './wire.js';

/** RFC 7606 5.3: a syntactically incorrect Withdrawn Routes or NLRI field resets the session. */
function networkFieldFault(field: string): (reason: string) => BgpProtocolError {
  return (reason) =>
    updateError(UpdateSubcode.InvalidNetworkField, `${field}: ${reason}`, 'session-reset');
}

/** Decodes an UPDATE (whole message, header checked by the caller). */
export function decodeUpdate(frame: Uint8Array, ctx: CodecContext): UpdateMessage {
  const end = frame.length;
  let p = HEADER_LENGTH;
  const withdrawnLength = u16(frame, p);
  p += 2;
  // RFC 4271 6.3: lengths too large for the message are a Malformed Attribute List.
  if (p + withdrawnLength + 2 > end) {
    throw updateError(
      UpdateSubcode.MalformedAttributeList,
      `Withdrawn Routes Length ${withdrawnLength} exceeds the message`,
      'session-reset',
    );
  }
  const withdrawn = decodePrefixes(
    frame,
    p,
    p + withdrawnLength,
    'ipv4',
    networkFieldFault('Withdrawn Routes'),
  );
  p += withdrawnLength;
  const attributesLength = u16(frame, p);
  p += 2;
  if (p + attributesLength > end) {
    throw updateError(
      UpdateSubcode.MalformedAttributeList,
      `Total Path Attribute Length ${attributesLength} exceeds the message`,
      'session-reset',
    );
  }
  const nlriStart = p + attributesLength;
  const decoded = decodeAttributes(frame, p, nlriStart, ctx, nlriStart < end);
  const nlri = decodePrefixes(frame, nlriStart, end, 'ipv4', networkFieldFault('NLRI'));

  const attributes = decoded.attributes as MutablePathAttributes;
  let treatAsWithdraw = decoded.treatAsWithdraw;
  if (treatAsWithdraw === undefined && (nlri.length > 0 || attributes.mpReach !== undefined)) {
    treatAsWithdraw = missingAttribute(decoded.seen, nlri.length > 0);
  }
  const discarded = decoded.discarded;

  if (treatAsWithdraw === undefined) {
    const message: { -readonly [K in keyof UpdateMessage]: UpdateMessage[K] } = {
      type: 'update',
      withdrawn,
      attributes,
      nlri,
    };
    if (discarded.length > 0) message.discarded = discarded;
    return message;
  }
  return withdrawAll(withdrawn, nlri, attributes, treatAsWithdraw, discarded);
}

/**
 * RFC 7606 3.d: ORIGIN and AS_PATH must be present with any NLRI, NEXT_HOP with
 * IPv4 NLRI in the NLRI field (RFC 4760 section 3 makes it optional otherwise).
 */
function missingAttribute(seen: Uint8Array, ipv4Nlri: boolean): BgpProtocolError | undefined {
  const required = ipv4Nlri
    ? [AttrType.Origin, AttrType.AsPath, AttrType.NextHop]
    : [AttrType.Origin, AttrType.AsPath];
  for (const type of required) {
    if (!seen[type]) {
      // RFC 4271 6.3: "the Data field MUST contain the Attribute Type Code of the missing, well-known attribute".
      return updateError(
        UpdateSubcode.MissingWellKnownAttribute,
        `missing well-known attribute type ${type}`,
        'treat-as-withdraw',
        Uint8Array.of(type),
      );
    }
  }
  return undefined;
}

/**
 * RFC 7606 section 2 "treat-as-withdraw": every prefix the message announces is
 * withdrawn instead. IPv4 NLRI joins the Withdrawn Routes; MP_REACH_NLRI prefixes
 * move to MP_UNREACH_NLRI. If MP_UNREACH_NLRI already holds the other family,
 * the IPv4 unicast prefixes go to Withdrawn Routes, which means the same.
 */
function withdrawAll(
  withdrawn: Prefix[],
  nlri: Prefix[],
  attributes: MutablePathAttributes,
  error: BgpProtocolError,
  discarded: BgpProtocolError[],
): UpdateMessage {
  let allWithdrawn = nlri.length > 0 ? withdrawn.concat(nlri) : withdrawn;
  const reach: MpReach | undefined = attributes.mpReach;
  if (reach !== undefined) {
    delete attributes.mpReach;
    const unreach: MpUnreach | undefined = attributes.mpUnreach;
    if (unreach === undefined) {
      attributes.mpUnreach = { afi: reach.afi, safi: reach.safi, withdrawn: reach.nlri };
    } else if (unreach.afi === reach.afi && unreach.safi === reach.safi) {
      attributes.mpUnreach = {
        afi: unreach.afi,
        safi: unreach.safi,
        withdrawn: unreach.withdrawn.concat(reach.nlri),
      };
    } else if (reach.afi === Afi.Ipv4) {
      allWithdrawn = allWithdrawn.concat(reach.nlri);
    } else {
      allWithdrawn = allWithdrawn.concat(unreach.withdrawn);
      attributes.mpUnreach = { afi: reach.afi, safi: reach.safi, withdrawn: reach.nlri };
    }
  }
  const message: { -readonly [K in keyof UpdateMessage]: UpdateMessage[K] } = {
    type: 'update',
    withdrawn: allWithdrawn,
    attributes,
    nlri: [],
    treatAsWithdraw: error,
  };
  if (discarded.length > 0) message.discarded = discarded;
  return message;
}

export function encodeUpdate(msg: UpdateMessage, ctx: CodecContext): Uint8Array {
  const withdrawnLength = prefixesLength(msg.withdrawn, 'ipv4', 'Withdrawn Routes');
  const nlriLength = prefixesLength(msg.nlri, 'ipv4', 'NLRI');
  const attributes = encodeAttributes(msg.attributes, ctx);
  let attributesLength = 0;
  for (const a of attributes) attributesLength += a.length;
  const total = HEADER_LENGTH + 2 + withdrawnLength + 2 + attributesLength + nlriLength;
  if (total > MAX_MESSAGE_LENGTH) {
    throw new BgpEncodeError(
      `UPDATE would be ${total} bytes, over the ${MAX_MESSAGE_LENGTH}-byte limit`,
    );
  }
  const out = allocMessage(total, MessageType.Update);
  let p = HEADER_LENGTH;
  put16(out, p, withdrawnLength);
  p = writePrefixes(out, p + 2, msg.withdrawn);
  put16(out, p, attributesLength);
  p += 2;
  for (const a of attributes) {
    out.set(a, p);
    p += a.length;
  }
  writePrefixes(out, p, msg.nlri);
  return out;
}
