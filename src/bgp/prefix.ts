/**
 * IP prefixes as BGP carries them: family, length, and the address bytes with
 * every host bit zero. Parsing is strict (a prefix with host bits set is an
 * operator mistake worth naming); a bare address means /32 or /128.
 */
import ipaddr from 'ipaddr.js';

export type Family = 'ipv4' | 'ipv6';

export interface Prefix {
  readonly family: Family;
  readonly length: number;
  /** 4 or 16 bytes, host bits zero. */
  readonly bytes: Uint8Array;
}

export class PrefixError extends Error {
  readonly kind = 'bgp.invalid_prefix';
  constructor(message: string) {
    super(message);
    this.name = 'PrefixError';
  }
}

export function familyBytes(family: Family): number {
  return family === 'ipv4' ? 4 : 16;
}

export function maxLength(family: Family): number {
  return family === 'ipv4' ? 32 : 128;
}

/** Parse "203.0.113.0/24", "2001:db8::/32" or a bare address. Throws PrefixError. */
export function parsePrefix(text: string): Prefix {
  return parseIpv4Quick(text) ?? parsePrefixFully(text);
}

/**
 * The common case, "a.b.c.d" or "a.b.c.d/len" in plain decimal with no host bits set,
 * without ipaddr.js's allocations (a table of 100,000 routes is parsed at once); undefined
 * for anything else, which parsePrefixFully accepts or names the mistake of.
 */
function parseIpv4Quick(text: string): Prefix | undefined {
  const bytes = new Uint8Array(4);
  const n = text.length;
  let part = 0;
  let value = 0;
  let digits = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return undefined; // a leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return undefined;
      digits++;
    } else if (c === 0x2e) {
      if (digits === 0 || part === 3) return undefined;
      bytes[part++] = value;
      value = 0;
      digits = 0;
    } else if (c === 0x2f) break;
    else return undefined;
  }
  if (digits === 0 || part !== 3) return undefined;
  bytes[3] = value;
  let length = 32;
  if (i < n) {
    if (n - i - 1 < 1 || n - i - 1 > 3) return undefined;
    length = 0;
    for (let j = i + 1; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c < 0x30 || c > 0x39) return undefined;
      length = length * 10 + (c - 0x30);
    }
    if (length > 32) return undefined;
  }
  for (let b = 0; b < 4; b++) {
    const bits = Math.max(0, Math.min(8, length - b * 8));
    if (((bytes[b] ?? 0) & (0xff >> bits)) !== 0) return undefined;
  }
  return { family: 'ipv4', length, bytes };
}

/** parsePrefix without its IPv4 shortcut (tests compare the two). */
export function parsePrefixFully(text: string): Prefix {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const address = parseAddress(addressText, `prefix "${text}"`);
  const family: Family = address.kind() === 'ipv4' ? 'ipv4' : 'ipv6';
  const max = maxLength(family);
  let length = max;
  if (slash !== -1) {
    const lengthText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) {
      throw new PrefixError(`prefix "${text}": length must be 0 to ${max}`);
    }
    length = Number(lengthText);
  }
  const bytes = Uint8Array.from(address.toByteArray());
  const masked = maskBytes(bytes, length);
  if (!equalBytes(bytes, masked)) {
    throw new PrefixError(
      `prefix "${text}" has host bits set; did you mean ${formatPrefix({ family, length, bytes: masked })}?`,
    );
  }
  return { family, length, bytes: masked };
}

/** Parse an IPv4 or IPv6 address (no zone) into its address family and bytes. */
export function parseAddress(text: string, what = 'address'): ipaddr.IPv4 | ipaddr.IPv6 {
  const trimmed = text.trim();
  if (!ipaddr.isValid(trimmed) || trimmed.includes('%')) {
    throw new PrefixError(`${what}: "${trimmed}" is not an IPv4 or IPv6 address`);
  }
  // ipaddr.js accepts legacy forms such as "10.1" or octal; BGP config must be unambiguous.
  if (!trimmed.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(trimmed)) {
    throw new PrefixError(`${what}: "${trimmed}" is not a dotted-quad IPv4 address`);
  }
  return ipaddr.parse(trimmed);
}

export function addressBytes(text: string, what = 'address'): Uint8Array {
  return Uint8Array.from(parseAddress(text, what).toByteArray());
}

export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return ipaddr.fromByteArray(Array.from(bytes)).toString();
}

export function formatPrefix(prefix: Prefix): string {
  return `${formatAddress(prefix.bytes)}/${prefix.length}`;
}

/** Builds a prefix from wire bytes, zeroing host bits (RFC 4271 4.3: trailing bits are irrelevant). */
export function prefixFromBytes(family: Family, length: number, significant: Uint8Array): Prefix {
  const bytes = new Uint8Array(familyBytes(family));
  bytes.set(significant.subarray(0, Math.min(significant.length, bytes.length)));
  return { family, length, bytes: maskBytes(bytes, length) };
}

export function maskBytes(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, length - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * A stable map key, and a compact one: the family ("4" or "6") then the prefix's NLRI
 * encoding (RFC 4271 section 4.3: length octet, then the significant octets, host bits
 * zero) as one-byte characters, so an IPv4 /32 is a 6-character string and an IPv6 /128
 * an 18-character one. Equal prefixes give equal keys. The packer writes NLRI straight
 * from it (writeKeyNlri), so a table of keys needs no Prefix objects to be sent.
 */
export function prefixKey(prefix: Prefix): string {
  const n = (prefix.length + 7) >> 3;
  const codes = new Array<number>(n + 2);
  codes[0] = prefix.family === 'ipv4' ? KEY_IPV4 : KEY_IPV6;
  codes[1] = prefix.length;
  for (let i = 0; i < n; i++) codes[i + 2] = prefix.bytes[i] ?? 0;
  return String.fromCharCode(...codes);
}

const KEY_IPV4 = 0x34; // "4"
const KEY_IPV6 = 0x36; // "6"

export function familyOfKey(key: string): Family {
  return key.charCodeAt(0) === KEY_IPV4 ? 'ipv4' : 'ipv6';
}

/** On-wire size of the key's NLRI entry. */
export function keyNlriLength(key: string): number {
  return key.length - 1;
}

/** Writes the key's NLRI entry at `at`; returns the end offset. */
export function writeKeyNlri(out: Uint8Array, at: number, key: string): number {
  let p = at;
  for (let i = 1; i < key.length; i++) out[p++] = key.charCodeAt(i);
  return p;
}

export function prefixFromKey(key: string): Prefix {
  const family = familyOfKey(key);
  const bytes = new Uint8Array(familyBytes(family));
  for (let i = 2; i < key.length; i++) bytes[i - 2] = key.charCodeAt(i);
  return { family, length: key.charCodeAt(1), bytes };
}
