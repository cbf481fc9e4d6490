/**
 * Options set on a socket's file descriptor: TCP-MD5 keys (RFC 2385) and the TTL
 * of GTSM (RFC 5082). Works on any fd: one we created (tcp-connect.ts), a
 * net.Server's listening socket, or a UDP socket (BFD's TTL, RFC 5881 section 5).
 * An IPv6 socket carries IPv4 peers as v4-mapped addresses, so on it both the
 * IPv6 and the IPv4 TTL options are set.
 */
import {
  GTSM_TTL,
  IP_MINTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_MINHOPCOUNT,
  IPV6_UNICAST_HOPS,
  TCP_MD5SIG,
} from './constants.js';
import { requireLibc, SockoptCallError } from './libc.js';
import { encodeMd5Sig, familyOf, type AddressFamily } from './sockaddr.js';

/**
 * Sets (or with an empty key, removes) the TCP-MD5 key for one peer address on a
 * socket of `socketFamily`. On a listening socket the key applies to connections
 * from that address: one without the right signature never completes.
 */
export function setMd5Key(
  fd: number,
  socketFamily: AddressFamily,
  peer: string,
  key: Uint8Array,
): void {
  const c = requireLibc();
  const sig = encodeMd5Sig(peer, key, socketFamily === 6 ? 6 : familyOf(peer));
  if (c.setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, sig, sig.length) !== 0) {
    const errno = c.errno();
    // Removing a key that is not there is not a problem.
    if (key.length === 0 && errno === 2) return;
    throw new SockoptCallError(`setsockopt(TCP_MD5SIG) for ${peer}`, errno);
  }
}

/** Outgoing TTL / hop limit (unicast). */
export function setTtl(fd: number, socketFamily: AddressFamily, ttl: number): void {
  if (socketFamily === 6) setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, 'IPV6_UNICAST_HOPS');
  setInt(fd, IPPROTO_IP, IP_TTL, ttl, 'IP_TTL');
}

/** The kernel drops anything that arrives with a lower TTL / hop limit. */
export function setMinTtl(fd: number, socketFamily: AddressFamily, minimum: number): void {
  if (socketFamily === 6) setInt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minimum, 'IPV6_MINHOPCOUNT');
  setInt(fd, IPPROTO_IP, IP_MINTTL, minimum, 'IP_MINTTL');
}

/** RFC 5082 for a directly connected peer: send 255, accept only 255. */
export function setGtsm(fd: number, socketFamily: AddressFamily): void {
  setTtl(fd, socketFamily, GTSM_TTL);
  setMinTtl(fd, socketFamily, GTSM_TTL);
}

function setInt(fd: number, level: number, name: number, value: number, label: string): void {
  const c = requireLibc();
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  if (c.setsockopt(fd, level, name, buffer, 4) !== 0)
    throw new SockoptCallError(`setsockopt(${label}, ${value})`, c.errno());
}
