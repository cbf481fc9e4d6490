/**
 * Pure encoders of the C structures the kernel reads: sockaddr_in, sockaddr_in6
 * and struct tcp_md5sig (RFC 2385 keys, linux/tcp.h). Kept apart from the calls
 * so their bytes can be tested without a socket. sa_family and the key length are
 * host order, written little-endian: libc.ts refuses a big-endian host.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AF_INET, AF_INET6, TCP_MD5SIG_MAXKEYLEN, TCP_MD5SIG_SIZE } from './constants.js';

export type AddressFamily = 4 | 6;

/** Which family an address is, "fe80::1%eth0" included; throws on anything else. */
export function familyOf(address: string): AddressFamily {
  const bare = address.split('%')[0] ?? address;
  const family = isIP(bare);
  if (family === 4 || family === 6) return family;
  throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
}

/** 16 bytes of an IPv6 address ("::ffff:1.2.3.4" included; a "%zone" is dropped). */
export function ipv6Bytes(address: string): Buffer {
  return Buffer.from(ipaddr.IPv6.parse(address.split('%')[0] ?? address).toByteArray());
}

export function ipv4Bytes(address: string): Buffer {
  return Buffer.from(ipaddr.IPv4.parse(address).toByteArray());
}

/** An IPv4 address as the IPv6 socket sees it: ::ffff:a.b.c.d (RFC 4291 2.5.5.2). */
export function v4Mapped(address: string): string {
  return `::ffff:${address}`;
}

/**
 * sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes); `family` 6 with an IPv4 address
 * gives its v4-mapped form, as a dual-stack socket needs. `scopeId` is the interface
 * index of a link-local address.
 */
export function encodeSockaddr(
  address: string,
  port: number,
  family: AddressFamily = familyOf(address),
  scopeId = 0,
): Buffer {
  if (family === 4) {
    const out = Buffer.alloc(16);
    out.writeUInt16LE(AF_INET, 0);
    out.writeUInt16BE(port, 2);
    ipv4Bytes(address).copy(out, 4);
    return out;
  }
  const out = Buffer.alloc(28);
  out.writeUInt16LE(AF_INET6, 0);
  out.writeUInt16BE(port, 2);
  const bytes = familyOf(address) === 4 ? ipv6Bytes(v4Mapped(address)) : ipv6Bytes(address);
  bytes.copy(out, 8);
  out.writeUInt32LE(scopeId, 24);
  return out;
}

/**
 * struct tcp_md5sig for `setsockopt(IPPROTO_TCP, TCP_MD5SIG)`: the peer's address
 * (port ignored by the kernel) and the key. An empty key removes the peer's key.
 * Flags, prefix length and ifindex stay 0: one key for one address.
 */
export function encodeMd5Sig(
  peer: string,
  key: Uint8Array,
  family: AddressFamily = familyOf(peer),
): Buffer {
  if (key.length > TCP_MD5SIG_MAXKEYLEN)
    throw new RangeError(`a TCP-MD5 key is at most ${TCP_MD5SIG_MAXKEYLEN} bytes`);
  const out = Buffer.alloc(TCP_MD5SIG_SIZE);
  encodeSockaddr(peer, 0, family).copy(out, 0);
  // tcpm_flags (128) and tcpm_prefixlen (129) stay 0.
  out.writeUInt16LE(key.length, 130);
  // tcpm_ifindex (132..135) stays 0.
  Buffer.from(key).copy(out, 136);
  return out;
}
