/**
 * UPDATE path attributes: decoding with RFC 7606 revised error handling, and
 * encoding in the order and with the flags receivers expect.
 *
 * RFC 4271 sections 4.3, 5 and 6.3; RFC 7606 (sections 3, 4, 5.3 and 7.1-7.11);
 * RFC 4760 (MP_REACH_NLRI / MP_UNREACH_NLRI, section 7 error handling); RFC 2545
 * (IPv6 link-local next hop); RFC 6793 (AS4_PATH, AS4_AGGREGATOR); RFC 1997 and
 * RFC 8092 (communities, large communities); RFC 4456 (ORIGINATOR_ID, CLUSTER_LIST);
 * RFC 7607 (AS 0).
 * Gaps: extended communities (RFC 4360) and every other type are kept raw in
 * `unknown` when optional transitive; only AFI 1/2 with SAFI 1 are understood
 * (others are dropped: we never negotiate them); no RFC 8950 IPv4-over-IPv6 next
 * hop. LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from an external peer are discarded
 * whatever their length (RFC 7606 7.5/7.9/7.10; the session says which peers are
 * external through `CodecContext.external`). Confederation segments from an external
 * peer and next-hop semantics (martians, RFC 4271 6.3 subcode 8) belong to the
 * session, not the codec.
 *
 * Over 500 lines on purpose: each attribute's decoding sits beside the RFC 7606
 * rule for its errors and its encoding, so a reader checks one attribute in one place.
 */
import { AS_TRANS, AttrFlag, AttrType, ErrorCode, Safi, UpdateSubcode } from '../constants.js';
import { BgpEncodeError, BgpProtocolError } from '../errors.js';
import type { ErrorAction } from '../errors.js';
import { formatAddress, type Family } from '../prefix.js';
import type {
  AsPathSegment,
  CodecContext,
  LargeCommunity,
  MpReach,
  MpUnreach,
  Origin,
  PathAttributes,
  RawAttribute,
} from '../types.js';
import {
  asPathLength,
  mergeAs4Path,
  needsAs4,
  parseAsPath,
  withoutConfed,
  writeAsPath,
} from './as-path.js';
import { familyOfAfi, unicastFamily } from './family.js';
import { decodePrefixes, prefixesLength, writePrefixes } from './nlri.js';
import {
  MAX_U16,
  MAX_U32,
  MAX_U8,
  checkInt,
  encodeAddress,
  ipv4Text,
  put16,
  put32,
  u16,
  u32,
} from './wire.js';

export type MutablePathAttributes = { -readonly [K in keyof PathAttributes]: PathAttributes[K] };

const WELL_KNOWN = AttrFlag.Transitive;
const OPTIONAL = AttrFlag.Optional;
const OPTIONAL_TRANSITIVE = AttrFlag.Optional | AttrFlag.Transitive;
const CATEGORY_BITS = AttrFlag.Optional | AttrFlag.Transitive;

/** Attributes only internal peers may send (RFC 7606 7.5, 7.9, 7.10). */
const IBGP_ONLY: ReadonlySet<number> = new Set([
  AttrType.LocalPref,
  AttrType.OriginatorId,
  AttrType.ClusterList,
]);

/** Expected Optional/Transitive bits of each attribute this codec understands; -1 = not understood. */
const expectedFlags = new Int16Array(256).fill(-1);
for (const [type, flags] of [
  [AttrType.Origin, WELL_KNOWN],
  [AttrType.AsPath, WELL_KNOWN],
  [AttrType.NextHop, WELL_KNOWN],
  [AttrType.MultiExitDisc, OPTIONAL],
  [AttrType.LocalPref, WELL_KNOWN],
  [AttrType.AtomicAggregate, WELL_KNOWN],
  [AttrType.Aggregator, OPTIONAL_TRANSITIVE],
  [AttrType.Communities, OPTIONAL_TRANSITIVE],
  [AttrType.OriginatorId, OPTIONAL],
  [AttrType.ClusterList, OPTIONAL],
  [AttrType.MpReachNlri, OPTIONAL],
  [AttrType.MpUnreachNlri, OPTIONAL],
  [AttrType.As4Path, OPTIONAL_TRANSITIVE],
  [AttrType.As4Aggregator, OPTIONAL_TRANSITIVE],
  [AttrType.LargeCommunities, OPTIONAL_TRANSITIVE],
] as const) {
  expectedFlags[type] = flags;
}

const attrNames: Record<number, string> = {
  [AttrType.Origin]: 'ORIGIN',
  [AttrType.AsPath]: 'AS_PATH',
  [AttrType.NextHop]: 'NEXT_HOP',
  [AttrType.MultiExitDisc]: 'MULTI_EXIT_DISC',
  [AttrType.LocalPref]: 'LOCAL_PREF',
  [AttrType.AtomicAggregate]: 'ATOMIC_AGGREGATE',
  [AttrType.Aggregator]: 'AGGREGATOR',
  [AttrType.Communities]: 'COMMUNITIES',
  [AttrType.OriginatorId]: 'ORIGINATOR_ID',
  [AttrType.ClusterList]: 'CLUSTER_LIST',
  [AttrType.MpReachNlri]: 'MP_REACH_NLRI',
  [AttrType.MpUnreachNlri]: 'MP_UNREACH_NLRI',
  [AttrType.As4Path]: 'AS4_PATH',
  [AttrType.As4Aggregator]: 'AS4_AGGREGATOR',
  [AttrType.LargeCommunities]: 'LARGE_COMMUNITIES',
};

export function attrName(type: number): string {
  return attrNames[type] ?? `attribute type ${type}`;
}

const origins: readonly Origin[] = ['igp', 'egp', 'incomplete'];

export function updateError(
  subcode: number,
  message: string,
  action: ErrorAction,
  data: Uint8Array = new Uint8Array(0),
): BgpProtocolError {
  return new BgpProtocolError(ErrorCode.UpdateMessage, subcode, message, { data, action });
}

export interface DecodedAttributes {
  readonly attributes: PathAttributes;
  readonly treatAsWithdraw: BgpProtocolError | undefined;
  readonly discarded: BgpProtocolError[];
  /** Type codes present in the message, malformed or not (RFC 7606 3.d looks at presence). */
  readonly seen: Uint8Array;
}

/**
 * Decodes the path attributes in b[start, end). Session-reset faults are thrown;
 * treat-as-withdraw keeps the first fault; attribute-discard faults are listed.
 * `hasIpv4Nlri`: the UPDATE's NLRI field is non-empty (known before it is parsed,
 * as it is whatever follows the attributes).
 */
export function decodeAttributes(
  b: Uint8Array,
  start: number,
  end: number,
  ctx: CodecContext,
  hasIpv4Nlri: boolean,
): DecodedAttributes {
  return new AttributeDecoder(b, ctx, hasIpv4Nlri).run(start, end);
}

class AttributeDecoder {
  readonly #b: Uint8Array;
  readonly #ctx: CodecContext;
  readonly #hasIpv4Nlri: boolean;
  readonly #attrs: MutablePathAttributes = {};
  readonly #seen = new Uint8Array(256);
  readonly #discarded: BgpProtocolError[] = [];
  readonly #unknown: RawAttribute[] = [];
  #treatAsWithdraw: BgpProtocolError | undefined;
  #as4Path: AsPathSegment[] | undefined;
  #as4Aggregator: { asn: number; address: string } | undefined;
  /** Bounds of the attribute being decoded, for NOTIFICATION data. */
  #attrStart = 0;
  #attrEnd = 0;

  constructor(b: Uint8Array, ctx: CodecContext, hasIpv4Nlri: boolean) {
    this.#b = b;
    this.#ctx = ctx;
    this.#hasIpv4Nlri = hasIpv4Nlri;
  }

  run(start: number, end: number): DecodedAttributes {
    const b = this.#b;
    let p = start;
    while (p < end) {
      const remaining = end - p;
      const flags = b[p]!;
      const headerSize = flags & AttrFlag.ExtendedLength ? 4 : 3;
      let length = -1;
      if (remaining >= headerSize) length = headerSize === 4 ? u16(b, p + 2) : b[p + 2]!;
      if (length < 0 || p + headerSize + length > end) {
        this.#overrun(p, end, remaining >= 2 ? b[p + 1]! : -1, remaining < headerSize);
        break;
      }
      this.#attrStart = p;
      this.#attrEnd = p + headerSize + length;
      this.#attribute(flags, b[p + 1]!, p + headerSize, this.#attrEnd);
      p = this.#attrEnd;
    }
    this.#finishAs4();
    if (this.#unknown.length > 0) this.#attrs.unknown = this.#unknown;
    return {
      attributes: this.#attrs,
      treatAsWithdraw: this.#treatAsWithdraw,
      discarded: this.#discarded,
      seen: this.#seen,
    };
  }

  /** RFC 7606 section 4: the attribute list and an attribute's own length disagree. */
  #overrun(p: number, end: number, type: number, shortHeader: boolean): void {
    const data = this.#b.slice(p, end);
    const what = shortHeader
      ? `${end - p} bytes left at an attribute start, too few for its header`
      : `${attrName(type)} length runs past the Total Path Attribute Length`;
    if (type === AttrType.MpReachNlri || type === AttrType.MpUnreachNlri) {
      // Treat-as-withdraw needs the prefixes this attribute carries, and they cannot be
      // found: the "more severe error" of RFC 7606 section 4, handled per 7.11 by reset.
      throw updateError(UpdateSubcode.AttributeLengthError, what, 'session-reset', data);
    }
    // "the Total Attribute Length MUST be relied upon to enable the beginning of the NLRI field to be located."
    this.#withdraw(UpdateSubcode.AttributeLengthError, what, data);
  }

  #data(): Uint8Array {
    return this.#b.slice(this.#attrStart, this.#attrEnd);
  }

  #withdraw(subcode: number, message: string, data: Uint8Array = this.#data()): void {
    this.#treatAsWithdraw ??= updateError(subcode, message, 'treat-as-withdraw', data);
  }

  /** RFC 7606 7.5/7.9/7.10: an iBGP-only attribute from an external peer, well-formed or not. */
  #discardExternal(type: number): void {
    this.#discard(
      UpdateSubcode.MalformedAttributeList,
      `${attrName(type)} from an external peer discarded`,
    );
  }

  #discard(subcode: number, message: string): void {
    this.#discarded.push(updateError(subcode, message, 'attribute-discard', this.#data()));
  }

  #attribute(flags: number, type: number, vs: number, ve: number): void {
    const b = this.#b;
    const length = ve - vs;
    const name = attrName(type);

    if (this.#seen[type]) {
      // RFC 7606 3.g: a repeated MP_REACH_NLRI / MP_UNREACH_NLRI resets the session;
      // any other repeat is dropped and the first occurrence kept.
      if (type === AttrType.MpReachNlri || type === AttrType.MpUnreachNlri) {
        throw updateError(
          UpdateSubcode.MalformedAttributeList,
          `${name} appears twice`,
          'session-reset',
          this.#data(),
        );
      }
      this.#discard(
        UpdateSubcode.MalformedAttributeList,
        `${name} appears twice; the first is kept`,
      );
      return;
    }
    this.#seen[type] = 1;

    // RFC 6793 4.1: a NEW speaker never sends AS4_PATH / AS4_AGGREGATOR to a NEW speaker;
    // from one that does, they are ignored, whatever their flags or contents.
    if (this.#ctx.fourOctetAs && (type === AttrType.As4Path || type === AttrType.As4Aggregator))
      return;

    // RFC 7606 7.5/7.9/7.10: from an external peer these are discarded, well-formed or not,
    // flags included: 3.c's treat-as-withdraw yields to an attribute's own rule, and a
    // stray iBGP-only attribute must not take a good route away.
    if (this.#ctx.external === true && IBGP_ONLY.has(type)) return this.#discardExternal(type);

    const expected = expectedFlags[type]!;
    if (expected < 0) {
      this.#unrecognized(flags, type, vs, ve);
      return;
    }
    if (((flags ^ expected) & CATEGORY_BITS) !== 0) {
      const flagsMessage = `${name} flags 0x${flags.toString(16)} conflict with its optional/transitive bits`;
      if (type === AttrType.As4Path || type === AttrType.As4Aggregator) {
        // RFC 6793 section 6: a malformed AS4_* attribute is discarded, never more.
        this.#discard(UpdateSubcode.AttributeFlagsError, flagsMessage);
        return;
      }
      // RFC 7606 3.c. MP_* are still decoded below: their prefixes must be withdrawn.
      this.#withdraw(UpdateSubcode.AttributeFlagsError, flagsMessage);
      if (type !== AttrType.MpReachNlri && type !== AttrType.MpUnreachNlri) return;
    }

    const attrs = this.#attrs;
    const fourOctet = this.#ctx.fourOctetAs;
    switch (type) {
      case AttrType.Origin: {
        // RFC 7606 7.1
        if (length !== 1)
          return this.#withdraw(
            UpdateSubcode.AttributeLengthError,
            `ORIGIN length ${length}, expected 1`,
          );
        const origin = origins[b[vs]!];
        if (origin === undefined)
          return this.#withdraw(UpdateSubcode.InvalidOriginAttribute, `ORIGIN value ${b[vs]}`);
        attrs.origin = origin;
        return;
      }
      case AttrType.AsPath: {
        // RFC 7606 7.2
        const r = parseAsPath(b, vs, ve, fourOctet ? 4 : 2);
        if ('error' in r)
          return this.#withdraw(UpdateSubcode.MalformedAsPath, `AS_PATH is malformed: ${r.error}`);
        attrs.asPath = r.segments;
        return;
      }
      case AttrType.NextHop:
        if (length !== 4) {
          const message = `NEXT_HOP length ${length}, expected 4`;
          // RFC 4760 section 3: without IPv4 NLRI the receiver "SHOULD ignore this attribute".
          if (!this.#hasIpv4Nlri) return this.#discard(UpdateSubcode.AttributeLengthError, message);
          // RFC 7606 7.3
          return this.#withdraw(UpdateSubcode.AttributeLengthError, message);
        }
        attrs.nextHop = ipv4Text(b, vs);
        return;
      case AttrType.MultiExitDisc:
        // RFC 7606 7.4
        if (length !== 4)
          return this.#withdraw(
            UpdateSubcode.AttributeLengthError,
            `MULTI_EXIT_DISC length ${length}, expected 4`,
          );
        attrs.med = u32(b, vs);
        return;
      case AttrType.LocalPref:
        // RFC 7606 7.5 (from an internal peer: an external one's was discarded above).
        if (length !== 4)
          return this.#withdraw(
            UpdateSubcode.AttributeLengthError,
            `LOCAL_PREF length ${length}, expected 4`,
          );
        attrs.localPref = u32(b, vs);
        return;
      case AttrType.AtomicAggregate:
        // RFC 7606 7.6
        if (length !== 0)
          return this.#discard(
            UpdateSubcode.AttributeLengthError,
            `ATOMIC_AGGREGATE length ${length}, expected 0`,
          );
        attrs.atomicAggregate = true;
        return;
      case AttrType.Aggregator: {
        // RFC 7606 7.7; the AS field is 4 octets on a 4-octet session (RFC 6793 section 3).
        const want = fourOctet ? 8 : 6;
        if (length !== want)
          return this.#discard(
            UpdateSubcode.AttributeLengthError,
            `AGGREGATOR length ${length}, expected ${want}`,
          );
        const asn = fourOctet ? u32(b, vs) : u16(b, vs);
        // RFC 7607 section 2: AS 0 makes AGGREGATOR malformed; 7606 7.7 discards it.
        if (asn === 0)
          return this.#discard(UpdateSubcode.OptionalAttributeError, 'AGGREGATOR carries AS 0');
        attrs.aggregator = { asn, address: ipv4Text(b, ve - 4) };
        return;
      }
      case AttrType.Communities: {
        // RFC 7606 7.8
        if (length === 0 || length % 4 !== 0) {
          return this.#withdraw(
            UpdateSubcode.AttributeLengthError,
            `COMMUNITIES length ${length} is not a non-zero multiple of 4`,
          );
        }
        const values = new Array<number>(length / 4);
        for (let i = 0; i < values.length; i++) values[i] = u32(b, vs + i * 4);
        attrs.communities = values;
        return;
      }
      case AttrType.OriginatorId:
        // RFC 7606 7.9 (an external neighbor's was discarded above): malformed unless 4 octets.
        if (length !== 4)
          return this.#withdraw(
            UpdateSubcode.AttributeLengthError,
            `ORIGINATOR_ID length ${length}, expected 4`,
          );
        attrs.originatorId = ipv4Text(b, vs);
        return;
      case AttrType.ClusterList: {
        // RFC 7606 7.10 (an external neighbor's was discarded above): "malformed if its
        // length is not a non-zero multiple of 4".
        if (length === 0 || length % 4 !== 0) {
          return this.#withdraw(
            UpdateSubcode.AttributeLengthError,
            `CLUSTER_LIST length ${length} is not a non-zero multiple of 4`,
          );
        }
        const ids = new Array<string>(length / 4);
        for (let i = 0; i < ids.length; i++) ids[i] = ipv4Text(b, vs + i * 4);
        attrs.clusterList = ids;
        return;
      }
      case AttrType.MpReachNlri:
        this.#mpReach(vs, ve);
        return;
      case AttrType.MpUnreachNlri:
        this.#mpUnreach(vs, ve);
        return;
      case AttrType.As4Path: {
        const r = parseAsPath(b, vs, ve, 4);
        // RFC 6793 section 6: "MUST discard the attribute and continue processing the UPDATE message".
        if ('error' in r)
          return this.#discard(UpdateSubcode.MalformedAsPath, `AS4_PATH is malformed: ${r.error}`);
        // RFC 6793 section 6: confederation segments in AS4_PATH are discarded, the rest kept.
        this.#as4Path = withoutConfed(r.segments);
        return;
      }
      case AttrType.As4Aggregator: {
        if (length !== 8)
          return this.#discard(
            UpdateSubcode.AttributeLengthError,
            `AS4_AGGREGATOR length ${length}, expected 8`,
          );
        const asn = u32(b, vs);
        if (asn === 0)
          return this.#discard(UpdateSubcode.OptionalAttributeError, 'AS4_AGGREGATOR carries AS 0');
        this.#as4Aggregator = { asn, address: ipv4Text(b, vs + 4) };
        return;
      }
      case AttrType.LargeCommunities: {
        // RFC 8092 section 6: "malformed if the length ... is not a non-zero multiple of 12".
        if (length === 0 || length % 12 !== 0) {
          return this.#withdraw(
            UpdateSubcode.AttributeLengthError,
            `LARGE_COMMUNITIES length ${length} is not a non-zero multiple of 12`,
          );
        }
        const values = new Array<LargeCommunity>(length / 12);
        for (let i = 0, q = vs; i < values.length; i++, q += 12) {
          values[i] = { global: u32(b, q), local1: u32(b, q + 4), local2: u32(b, q + 8) };
        }
        attrs.largeCommunities = values;
        return;
      }
    }
  }

  #unrecognized(flags: number, type: number, vs: number, ve: number): void {
    if (!(flags & AttrFlag.Optional)) {
      // RFC 4271 6.3: "the Data field MUST contain the unrecognized attribute".
      throw updateError(
        UpdateSubcode.UnrecognizedWellKnownAttribute,
        `unrecognized well-known attribute type ${type}`,
        'session-reset',
        this.#data(),
      );
    }
    // RFC 4271 section 5: unrecognized optional transitive attributes are kept and
    // passed on; non-transitive ones are quietly ignored.
    if (flags & AttrFlag.Transitive)
      this.#unknown.push({ flags, typeCode: type, value: this.#b.slice(vs, ve) });
  }

  /** RFC 7606 7.11 and RFC 4760 section 7: a malformed MP_* attribute resets the session. */
  #mpError(name: string, reason: string): BgpProtocolError {
    return updateError(
      UpdateSubcode.OptionalAttributeError,
      `${name} ${reason}`,
      'session-reset',
      this.#data(),
    );
  }

  #mpReach(vs: number, ve: number): void {
    const b = this.#b;
    const length = ve - vs;
    const fail = (reason: string): BgpProtocolError => this.#mpError('MP_REACH_NLRI', reason);
    if (length < 3) throw fail(`length ${length} cannot hold AFI and SAFI`);
    const afi = u16(b, vs);
    const safi = b[vs + 2]!;
    const family = unicastFamily(afi, safi);
    if (family === undefined) return; // never negotiated: ignored
    if (length < 5) throw fail(`length ${length} is too short`);
    const nhLength = b[vs + 3]!;
    const nhValid = family === 'ipv4' ? nhLength === 4 : nhLength === 16 || nhLength === 32;
    if (!nhValid) throw fail(`next hop length ${nhLength} is wrong for AFI ${afi}`);
    const nlriStart = vs + 4 + nhLength + 1; // + the reserved octet (RFC 4760 section 3)
    if (nlriStart > ve) throw fail(`next hop of ${nhLength} bytes runs past the attribute`);
    const nh = vs + 4;
    const nextHop = family === 'ipv4' ? ipv4Text(b, nh) : formatAddress(b.subarray(nh, nh + 16));
    const nlri = decodePrefixes(b, nlriStart, ve, family, fail);
    // RFC 2545 section 3: a 32-byte next hop is global followed by link-local.
    this.#attrs.mpReach =
      nhLength === 32
        ? {
            afi,
            safi,
            nextHop,
            linkLocalNextHop: formatAddress(b.subarray(nh + 16, nh + 32)),
            nlri,
          }
        : { afi, safi, nextHop, nlri };
  }

  #mpUnreach(vs: number, ve: number): void {
    const b = this.#b;
    const length = ve - vs;
    const fail = (reason: string): BgpProtocolError => this.#mpError('MP_UNREACH_NLRI', reason);
    if (length < 3) throw fail(`length ${length} cannot hold AFI and SAFI`);
    const afi = u16(b, vs);
    const safi = b[vs + 2]!;
    const family = unicastFamily(afi, safi);
    if (family === undefined) return;
    const withdrawn = decodePrefixes(b, vs + 3, ve, family, fail);
    this.#attrs.mpUnreach = { afi, safi, withdrawn };
  }

  /** RFC 6793 4.2.3: fold AS4_AGGREGATOR and AS4_PATH from an OLD speaker into the 4-octet values. */
  #finishAs4(): void {
    if (this.#ctx.fourOctetAs) return;
    const attrs = this.#attrs;
    let useAs4Path = true;
    if (this.#as4Aggregator && attrs.aggregator) {
      // "if the AS number in the AGGREGATOR attribute is not AS_TRANS, then: the
      // AS4_AGGREGATOR attribute and the AS4_PATH attribute SHALL be ignored".
      if (attrs.aggregator.asn !== AS_TRANS) useAs4Path = false;
      else attrs.aggregator = this.#as4Aggregator;
    }
    if (useAs4Path && this.#as4Path && attrs.asPath)
      attrs.asPath = mergeAs4Path(attrs.asPath, this.#as4Path);
  }
}

// ---------------------------------------------------------------------------
// Encoding

interface Piece {
  readonly type: number;
  readonly bytes: Uint8Array;
}

/** Allocates one attribute with its header; returns it and the value offset. */
function newAttribute(
  flags: number,
  type: number,
  length: number,
  extended = false,
): [Uint8Array, number] {
  if (length > MAX_U16)
    throw new BgpEncodeError(`${attrName(type)} value of ${length} bytes cannot be encoded`);
  const ext = extended || length > 255;
  const header = ext ? 4 : 3;
  const out = new Uint8Array(header + length);
  out[0] = ext ? flags | AttrFlag.ExtendedLength : flags & ~AttrFlag.ExtendedLength;
  out[1] = type;
  if (ext) put16(out, 2, length);
  else out[2] = length;
  return [out, header];
}

function u32Attribute(flags: number, type: number, what: string, value: number): Uint8Array {
  const [out, o] = newAttribute(flags, type, 4);
  put32(out, o, checkInt(what, value, 0, MAX_U32));
  return out;
}

function addressAttribute(flags: number, type: number, what: string, text: string): Uint8Array {
  const [out, o] = newAttribute(flags, type, 4);
  out.set(encodeAddress(what, text, 4), o);
  return out;
}

function asPathAttribute(
  flags: number,
  type: number,
  segments: readonly AsPathSegment[],
  asnSize: 2 | 4,
): Uint8Array {
  const [out, o] = newAttribute(flags, type, asPathLength(segments, asnSize));
  writeAsPath(out, o, segments, asnSize);
  return out;
}

function aggregatorAttribute(
  type: number,
  asn: number,
  asnSize: 2 | 4,
  address: Uint8Array,
): Uint8Array {
  const [out, o] = newAttribute(OPTIONAL_TRANSITIVE, type, asnSize + 4);
  if (asnSize === 4) put32(out, o, asn);
  else put16(out, o, asn > 0xffff ? AS_TRANS : asn);
  out.set(address, o + asnSize);
  return out;
}

function familyOf(afi: number, what: string): Family {
  const family = familyOfAfi(afi);
  if (family !== undefined) return family;
  throw new BgpEncodeError(`${what}: AFI ${afi} is not supported (1 or 2)`);
}

function mpReachAttribute(r: MpReach): Uint8Array {
  const family = familyOf(r.afi, 'MP_REACH_NLRI');
  if (r.safi !== Safi.Unicast)
    throw new BgpEncodeError(`MP_REACH_NLRI: SAFI ${r.safi} is not supported (1)`);
  const size = family === 'ipv4' ? 4 : 16;
  const nextHop = encodeAddress('MP_REACH_NLRI next hop', r.nextHop, size);
  let linkLocal: Uint8Array | undefined;
  if (r.linkLocalNextHop !== undefined) {
    if (family !== 'ipv6')
      throw new BgpEncodeError('MP_REACH_NLRI: a link-local next hop needs AFI 2');
    linkLocal = encodeAddress('MP_REACH_NLRI link-local next hop', r.linkLocalNextHop, 16);
  }
  const nhLength = linkLocal ? 32 : size;
  const nlriLength = prefixesLength(r.nlri, family, 'MP_REACH_NLRI');
  // Extended Length always, as BIRD and most speakers do: the value rarely fits one octet.
  const [out, o] = newAttribute(OPTIONAL, AttrType.MpReachNlri, 5 + nhLength + nlriLength, true);
  put16(out, o, r.afi);
  out[o + 2] = r.safi;
  out[o + 3] = nhLength;
  out.set(nextHop, o + 4);
  if (linkLocal) out.set(linkLocal, o + 4 + size);
  out[o + 4 + nhLength] = 0; // reserved
  writePrefixes(out, o + 5 + nhLength, r.nlri);
  return out;
}

function mpUnreachAttribute(u: MpUnreach): Uint8Array {
  const family = familyOf(u.afi, 'MP_UNREACH_NLRI');
  if (u.safi !== Safi.Unicast)
    throw new BgpEncodeError(`MP_UNREACH_NLRI: SAFI ${u.safi} is not supported (1)`);
  const length = prefixesLength(u.withdrawn, family, 'MP_UNREACH_NLRI');
  // Extended Length only when needed, so an End-of-RIB (RFC 4724 section 2) is the 3-octet
  // attribute BIRD and others send.
  const [out, o] = newAttribute(OPTIONAL, AttrType.MpUnreachNlri, 3 + length);
  put16(out, o, u.afi);
  out[o + 2] = u.safi;
  writePrefixes(out, o + 3, u.withdrawn);
  return out;
}

function originCode(origin: Origin): number {
  const code = origins.indexOf(origin);
  if (code < 0)
    throw new BgpEncodeError(`ORIGIN "${String(origin)}" is not igp, egp or incomplete`);
  return code;
}

/**
 * Encodes path attributes, each a separate array, in wire order: MP_REACH_NLRI /
 * MP_UNREACH_NLRI first (RFC 7606 5.1: "SHALL be encoded as the very first path
 * attribute"), the rest in ascending type order (RFC 4271 section 5).
 * Empty communities, large communities and cluster lists are left out: a
 * zero-length one is malformed (RFC 7606 7.8, 7.10; RFC 8092 section 6).
 */
export function encodeAttributes(attrs: PathAttributes, ctx: CodecContext): Uint8Array[] {
  const asnSize = ctx.fourOctetAs ? 4 : 2;
  const pieces: Piece[] = [];
  const add = (type: number, bytes: Uint8Array): void => {
    pieces.push({ type, bytes });
  };

  if (attrs.origin !== undefined) {
    const [out, o] = newAttribute(WELL_KNOWN, AttrType.Origin, 1);
    out[o] = originCode(attrs.origin);
    add(AttrType.Origin, out);
  }
  if (attrs.asPath !== undefined) {
    add(AttrType.AsPath, asPathAttribute(WELL_KNOWN, AttrType.AsPath, attrs.asPath, asnSize));
    // RFC 6793 4.2.2: toward an OLD speaker, AS4_PATH carries the real path unless
    // every ASN is mappable, and it leaves the confederation segments out.
    if (asnSize === 2 && needsAs4(attrs.asPath)) {
      const as4 = withoutConfed(attrs.asPath);
      // Only confederation segments need 4 octets: AS4_PATH cannot carry them, so none is sent.
      if (as4.length > 0)
        add(AttrType.As4Path, asPathAttribute(OPTIONAL_TRANSITIVE, AttrType.As4Path, as4, 4));
    }
  }
  if (attrs.nextHop !== undefined)
    add(
      AttrType.NextHop,
      addressAttribute(WELL_KNOWN, AttrType.NextHop, 'NEXT_HOP', attrs.nextHop),
    );
  if (attrs.med !== undefined)
    add(
      AttrType.MultiExitDisc,
      u32Attribute(OPTIONAL, AttrType.MultiExitDisc, 'MULTI_EXIT_DISC', attrs.med),
    );
  if (attrs.localPref !== undefined)
    add(
      AttrType.LocalPref,
      u32Attribute(WELL_KNOWN, AttrType.LocalPref, 'LOCAL_PREF', attrs.localPref),
    );
  if (attrs.atomicAggregate === true)
    add(AttrType.AtomicAggregate, newAttribute(WELL_KNOWN, AttrType.AtomicAggregate, 0)[0]);
  if (attrs.aggregator !== undefined) {
    const asn = checkInt('AGGREGATOR AS', attrs.aggregator.asn, 1, MAX_U32);
    const address = encodeAddress('AGGREGATOR address', attrs.aggregator.address, 4);
    add(AttrType.Aggregator, aggregatorAttribute(AttrType.Aggregator, asn, asnSize, address));
    // RFC 6793 4.2.2: AS4_AGGREGATOR goes with an AGGREGATOR that had to use AS_TRANS.
    if (asnSize === 2 && asn > 0xffff)
      add(AttrType.As4Aggregator, aggregatorAttribute(AttrType.As4Aggregator, asn, 4, address));
  }
  if (attrs.communities !== undefined && attrs.communities.length > 0) {
    const [out, o] = newAttribute(
      OPTIONAL_TRANSITIVE,
      AttrType.Communities,
      attrs.communities.length * 4,
    );
    attrs.communities.forEach((c, i) =>
      put32(out, o + i * 4, checkInt('community', c, 0, MAX_U32)),
    );
    add(AttrType.Communities, out);
  }
  if (attrs.originatorId !== undefined) {
    add(
      AttrType.OriginatorId,
      addressAttribute(OPTIONAL, AttrType.OriginatorId, 'ORIGINATOR_ID', attrs.originatorId),
    );
  }
  if (attrs.clusterList !== undefined && attrs.clusterList.length > 0) {
    const [out, o] = newAttribute(OPTIONAL, AttrType.ClusterList, attrs.clusterList.length * 4);
    attrs.clusterList.forEach((id, i) =>
      out.set(encodeAddress('CLUSTER_LIST id', id, 4), o + i * 4),
    );
    add(AttrType.ClusterList, out);
  }
  if (attrs.largeCommunities !== undefined && attrs.largeCommunities.length > 0) {
    const [out, o] = newAttribute(
      OPTIONAL_TRANSITIVE,
      AttrType.LargeCommunities,
      attrs.largeCommunities.length * 12,
    );
    attrs.largeCommunities.forEach((c, i) => {
      put32(out, o + i * 12, checkInt('large community global', c.global, 0, MAX_U32));
      put32(out, o + i * 12 + 4, checkInt('large community local1', c.local1, 0, MAX_U32));
      put32(out, o + i * 12 + 8, checkInt('large community local2', c.local2, 0, MAX_U32));
    });
    add(AttrType.LargeCommunities, out);
  }
  for (const raw of attrs.unknown ?? []) {
    checkInt('unknown attribute type', raw.typeCode, 0, MAX_U8);
    checkInt('unknown attribute flags', raw.flags, 0, MAX_U8);
    if (expectedFlags[raw.typeCode]! >= 0) {
      throw new BgpEncodeError(
        `unknown attribute list holds ${attrName(raw.typeCode)}, which has its own field`,
      );
    }
    // A well-known type we do not know would make the peer reset the session (RFC 4271 6.3).
    if (!(raw.flags & AttrFlag.Optional)) {
      throw new BgpEncodeError(`unknown attribute type ${raw.typeCode} must be optional`);
    }
    const [out, o] = newAttribute(
      raw.flags,
      raw.typeCode,
      raw.value.length,
      (raw.flags & AttrFlag.ExtendedLength) !== 0,
    );
    out.set(raw.value, o);
    add(raw.typeCode, out);
  }
  pieces.sort((a, b) => a.type - b.type);
  const mp: Uint8Array[] = [];
  if (attrs.mpReach !== undefined) mp.push(mpReachAttribute(attrs.mpReach));
  if (attrs.mpUnreach !== undefined) mp.push(mpUnreachAttribute(attrs.mpUnreach));
  for (const piece of pieces) mp.push(piece.bytes);
  return mp;
}
