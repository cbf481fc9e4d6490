/**
 * Linux socket constants this module needs, checked against the kernel headers
 * (linux/in.h, linux/in6.h, linux/tcp.h, linux/socket.h, asm-generic/errno.h).
 * They are Linux's: on another platform the facility reports itself unavailable.
 */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const SOL_SOCKET = 1;
export const SO_ERROR = 4;

export const IPPROTO_IP = 0;
export const IP_TTL = 2;
export const IP_MINTTL = 21;
/** Ask for the received TTL as an IP_TTL control message (BFD, RFC 5881 section 5). */
export const IP_RECVTTL = 12;

export const IPPROTO_TCP = 6;
/** RFC 2385 signatures: struct tcp_md5sig, one key per peer address. */
export const TCP_MD5SIG = 14;
export const TCP_MD5SIG_MAXKEYLEN = 80;
/** sizeof(struct tcp_md5sig): sockaddr_storage (128), flags, prefixlen, keylen (2), ifindex (4), key (80). */
export const TCP_MD5SIG_SIZE = 216;

export const IPPROTO_IPV6 = 41;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MINHOPCOUNT = 73;
export const IPV6_V6ONLY = 26;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;

export const POLLIN = 0x001;
export const EAGAIN = 11;
export const EADDRINUSE = 98;
/** eventfd(2) flags: the same values as SOCK_NONBLOCK and SOCK_CLOEXEC. */
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;

export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;

export const EINPROGRESS = 115;
export const EINTR = 4;

/** RFC 5082: what a directly connected GTSM peer sends and requires. */
export const GTSM_TTL = 255;
