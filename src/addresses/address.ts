/**
 * Interface addresses as an operator writes them: "203.0.113.53", "2001:db8::53" or
 * with a length ("198.51.100.7/24"). A bare address is /32 or /128. Unlike an announced
 * prefix, host bits are the point here (it is one address on a device), so they are
 * kept. Unspecified, multicast and IPv6 link-local addresses are refused: none of them
 * can be an anycast service address.
 */
import ipaddr from 'ipaddr.js';
import { AddressError } from './errors.js';

export type AddressFamily = 4 | 6;

export interface InterfaceAddress {
  readonly family: AddressFamily;
  /** Canonical text (IPv6 in RFC 5952 form), no length. */
  readonly ip: string;
  readonly prefixLength: number;
  /** `ip/prefixLength`, the form `ip addr add` takes and status shows. */
  readonly cidr: string;
}

/** Parses one `addresses` entry; throws AddressError (ADDRESS_INVALID) naming the entry. */
export function parseInterfaceAddress(text: string): InterfaceAddress {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const ipText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const invalid = (reason: string): AddressError =>
    new AddressError('ADDRESS_INVALID', `address "${text}": ${reason}`, { address: text });
  if (!ipaddr.isValid(ipText) || ipText.includes('%'))
    throw invalid('is not an IPv4 or IPv6 address');
  // ipaddr.js accepts "10.1" and octal; an address on a device must be unambiguous.
  if (!ipText.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(ipText))
    throw invalid('is not a dotted-quad IPv4 address');
  const parsed = ipaddr.parse(ipText);
  const family: AddressFamily = parsed.kind() === 'ipv4' ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let prefixLength = max;
  if (slash !== -1) {
    const lengthText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max || Number(lengthText) === 0)
      throw invalid(`length must be 1 to ${max}`);
    prefixLength = Number(lengthText);
  }
  const range = parsed.range();
  if (range === 'unspecified') throw invalid('the unspecified address cannot be bound');
  if (range === 'multicast') throw invalid('a multicast address cannot be bound to a device');
  if (family === 6 && range === 'linkLocal')
    throw invalid('an IPv6 link-local address cannot serve anycast traffic');
  const ip = canonicalIp(ipText);
  return { family, ip, prefixLength, cidr: `${ip}/${prefixLength}` };
}

/** Canonical text of an IP address (as `ip -j` prints it: dotted quad, RFC 5952). */
export function canonicalIp(text: string): string {
  return ipaddr.parse(text).toString();
}

/** Same address, whatever the spelling ("2001:DB8:0::53" = "2001:db8::53"). */
export function sameIp(a: string, b: string): boolean {
  if (!ipaddr.isValid(a) || !ipaddr.isValid(b)) return false;
  const x = ipaddr.parse(a);
  const y = ipaddr.parse(b);
  return x.kind() === y.kind() && x.toNormalizedString() === y.toNormalizedString();
}
