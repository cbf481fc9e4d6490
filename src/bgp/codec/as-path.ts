/**
 * AS_PATH and AS4_PATH segments.
 *
 * RFC 4271 section 4.3 (segment format), RFC 5065 section 3 (confederation
 * segment types), RFC 6793 sections 4.2.2 and 4.2.3 (AS_TRANS, AS4_PATH and
 * rebuilding the path from an OLD speaker), RFC 7606 section 7.2 (what makes a
 * path malformed), RFC 7607 (AS 0).
 * Gaps: confederation segments from an external peer (RFC 7606 7.2) are the
 * session's check: the codec does not know who the peer is.
 */
import { AS_TRANS } from '../constants.js';
import { BgpEncodeError } from '../errors.js';
import type { AsPathSegment, AsPathSegmentType } from '../types.js';
import { MAX_U32, checkInt, put16, put32, u16, u32 } from './wire.js';

const segmentTypes: readonly (AsPathSegmentType | undefined)[] = [
  undefined,
  'set',
  'sequence',
  'confed-sequence',
  'confed-set',
];

const segmentCodes: Record<AsPathSegmentType, number> = {
  set: 1,
  sequence: 2,
  'confed-sequence': 3,
  'confed-set': 4,
};

/** Parses segments in b[start, end); returns the segments or a reason the path is malformed. */
export function parseAsPath(
  b: Uint8Array,
  start: number,
  end: number,
  asnSize: 2 | 4,
): { segments: AsPathSegment[] } | { error: string } {
  const segments: AsPathSegment[] = [];
  let p = start;
  while (p < end) {
    // RFC 7606 7.2: a single octet left over cannot hold even an empty segment header.
    if (end - p < 2) return { error: 'a segment header is cut short' };
    const type = segmentTypes[b[p]!];
    if (type === undefined) return { error: `unknown segment type ${b[p]}` };
    const count = b[p + 1]!;
    if (count === 0) return { error: 'a segment has length zero' };
    p += 2;
    if (p + count * asnSize > end)
      return { error: `a segment of ${count} ASNs overruns the attribute` };
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++, p += asnSize) {
      const asn = asnSize === 4 ? u32(b, p) : u16(b, p);
      // RFC 7607 section 2: AS 0 in AS_PATH (and AS4_PATH) makes the attribute malformed.
      if (asn === 0) return { error: 'AS 0 in the path' };
      asns[i] = asn;
    }
    segments.push({ type, asns });
  }
  return { segments };
}

/** Path length as RFC 4271 9.1.2.2 counts it: a set is 1, confederation segments 0. */
function countAsns(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === 'sequence') n += s.asns.length;
    else if (s.type === 'set') n += 1;
  }
  return n;
}

/**
 * RFC 6793 section 4.2.3: rebuild the 4-octet path from AS_PATH (2-octet, with
 * AS_TRANS) and AS4_PATH received from an OLD speaker.
 */
export function mergeAs4Path(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[],
): AsPathSegment[] {
  const n2 = countAsns(asPath);
  const n4 = countAsns(as4Path);
  // "If the number of AS numbers in the AS_PATH attribute is less than the number
  // of AS numbers in the AS4_PATH attribute, then the AS4_PATH attribute SHALL be ignored".
  if (n2 < n4) return [...asPath];
  let need = n2 - n4;
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    const confed = s.type === 'confed-sequence' || s.type === 'confed-set';
    // "a valid AS_CONFED_SEQUENCE or AS_CONFED_SET path segment SHALL be prepended if
    // it is either the leading path segment or is adjacent to a path segment that is prepended".
    if (confed) {
      out.push(s);
      continue;
    }
    if (need === 0) break;
    if (s.type === 'set') {
      out.push(s);
      need -= 1;
    } else if (s.asns.length <= need) {
      out.push(s);
      need -= s.asns.length;
    } else {
      out.push({ type: s.type, asns: s.asns.slice(0, need) });
      need = 0;
    }
  }
  for (const s of as4Path) out.push(s);
  return out;
}

/** Checks segments for encoding; returns the encoded size for `asnSize`-byte ASNs. */
export function asPathLength(segments: readonly AsPathSegment[], asnSize: 2 | 4): number {
  let size = 0;
  for (const s of segments) {
    if (!(s.type in segmentCodes))
      throw new BgpEncodeError(`AS path: unknown segment type "${String(s.type)}"`);
    const n = s.asns.length;
    // RFC 7606 7.2 calls a zero-length segment malformed; never send one.
    if (n === 0) throw new BgpEncodeError(`AS path: empty ${s.type} segment`);
    // A sequence splits into several without changing its meaning; a set cannot.
    if (n > 255 && (s.type === 'set' || s.type === 'confed-set')) {
      throw new BgpEncodeError(`AS path: ${s.type} of ${n} ASNs exceeds 255`);
    }
    for (const asn of s.asns) {
      // RFC 7607 section 2: never originate or propagate AS 0.
      checkInt('AS path ASN', asn, 1, MAX_U32);
    }
    size += Math.ceil(n / 255) * 2 + n * asnSize;
  }
  return size;
}

/**
 * Writes segments at `offset` (checked by asPathLength). With 2-byte ASNs, an
 * ASN above 65535 becomes AS_TRANS (RFC 6793 4.2.2).
 */
export function writeAsPath(
  out: Uint8Array,
  offset: number,
  segments: readonly AsPathSegment[],
  asnSize: 2 | 4,
): number {
  let p = offset;
  for (const s of segments) {
    const code = segmentCodes[s.type];
    for (let i = 0; i < s.asns.length; i += 255) {
      const n = Math.min(255, s.asns.length - i);
      out[p++] = code;
      out[p++] = n;
      for (let j = i; j < i + n; j++) {
        const asn = s.asns[j]!;
        if (asnSize === 4) {
          put32(out, p, asn);
          p += 4;
        } else {
          put16(out, p, asn > 0xffff ? AS_TRANS : asn);
          p += 2;
        }
      }
    }
  }
  return p;
}

/** True when a 2-octet session needs AS4_PATH for this path (RFC 6793 4.2.2). */
export function needsAs4(segments: readonly AsPathSegment[]): boolean {
  return segments.some((s) => s.asns.some((asn) => asn > 0xffff));
}

/** RFC 6793 4.2.2: confederation segments are left out of AS4_PATH. */
export function withoutConfed(segments: readonly AsPathSegment[]): AsPathSegment[] {
  return segments.filter((s) => s.type === 'sequence' || s.type === 'set');
}
