/**
 * NLRI prefix encoding: <length, prefix> with the prefix in the fewest whole
 * octets (RFC 4271 section 4.3; RFC 4760 section 5 for MP_REACH/MP_UNREACH).
 * This is the hot path of a full-table send or receive: no per-byte array pushes.
 * Gaps: no ADD-PATH (RFC 7911) path identifiers; no labelled or VPN NLRI.
 */
import { BgpEncodeError } from '../errors.js';
import type { BgpProtocolError } from '../errors.js';
import type { Family, Prefix } from '../prefix.js';
import { formatPrefix } from '../prefix.js';

/** On-wire size of one NLRI entry: the length octet plus ceil(len / 8) octets. */
export function nlriLength(prefix: Prefix): number {
  return 1 + ((prefix.length + 7) >> 3);
}

/**
 * Decodes the prefixes in b[start, end). A prefix length beyond the family's
 * maximum, or a prefix running past `end`, is the syntactically incorrect
 * field of RFC 7606 section 5.3; `fault` builds the error the caller wants.
 * Host bits in the last octet are cleared (RFC 4271 4.3: trailing bits are irrelevant).
 */
export function decodePrefixes(
  b: Uint8Array,
  start: number,
  end: number,
  family: Family,
  fault: (reason: string) => BgpProtocolError,
): Prefix[] {
  const max = family === 'ipv4' ? 32 : 128;
  const size = max >> 3;
  const out: Prefix[] = [];
  let p = start;
  while (p < end) {
    const length = b[p]!;
    if (length > max) throw fault(`prefix length ${length} exceeds ${max}`);
    const n = (length + 7) >> 3;
    p++;
    if (p + n > end) throw fault(`prefix of length ${length} runs past the end of its field`);
    const bytes = new Uint8Array(size);
    const full = length >> 3;
    for (let i = 0; i < full; i++) bytes[i] = b[p + i]!;
    if (full < n) bytes[full] = b[p + full]! & (0xff << (8 - (length & 7)));
    out.push({ family, length, bytes });
    p += n;
  }
  return out;
}

/** Sum of nlriLength over `prefixes`, checking each belongs to `family`. */
export function prefixesLength(prefixes: readonly Prefix[], family: Family, what: string): number {
  const max = family === 'ipv4' ? 32 : 128;
  const size = max >> 3;
  let total = 0;
  for (const prefix of prefixes) {
    if (
      prefix.family !== family ||
      !Number.isInteger(prefix.length) ||
      prefix.length < 0 ||
      prefix.length > max ||
      prefix.bytes.length !== size
    ) {
      throw new BgpEncodeError(`${what}: ${describe(prefix)} is not a valid ${family} prefix`);
    }
    total += 1 + ((prefix.length + 7) >> 3);
  }
  return total;
}

function describe(prefix: Prefix): string {
  try {
    return formatPrefix(prefix);
  } catch {
    return `{family: ${String(prefix.family)}, length: ${prefix.length}}`;
  }
}

/** Writes prefixes (already checked by prefixesLength) at `offset`; returns the end offset. */
export function writePrefixes(
  out: Uint8Array,
  offset: number,
  prefixes: readonly Prefix[],
): number {
  let p = offset;
  for (const { length, bytes } of prefixes) {
    out[p++] = length;
    const full = length >> 3;
    for (let i = 0; i < full; i++) out[p + i] = bytes[i]!;
    // Host bits are zero by the Prefix contract; masking keeps the wire canonical anyway.
    if (length & 7) out[p + full] = bytes[full]! & (0xff << (8 - (length & 7)));
    p += (length + 7) >> 3;
  }
  return p;
}
