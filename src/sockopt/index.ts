/**
 * Socket options Node does not expose (TCP-MD5, IP_MINTTL and the TTL of GTSM) and UDP
 * sockets that read a received TTL, through one mechanism (koffi). Used by the BGP
 * speaker and by BFD's worker.
 * Also process descriptors (pidfd_open) and their exit watcher, for the process check.
 */
export * from './constants.js';
export { SockoptCallError, SockoptUnavailableError, errnoName } from './libc.js';
export { encodeMd5Sig, encodeSockaddr, familyOf, type AddressFamily } from './sockaddr.js';
export { setGtsm, setMd5Key, setMinTtl, setTtl } from './socket-options.js';
export { connectTcp, type PendingConnect, type TcpConnectOptions } from './tcp-connect.js';
export { sockoptSupport, type SockoptSupport } from './probe.js';
export { PidfdWatcher, closePidfd, openPidfd, pidfdExited, pidfdWatcher } from './pidfd.js';
export {
  closeFd,
  decodeSockaddr,
  drainWakeup,
  openUdp,
  openWakeup,
  pollReadable,
  receivedTtl,
  sendUdp,
  setThreadNice,
  signalWakeup,
  UdpReceiver,
  type Datagram,
  type UdpSocketOptions,
} from './udp.js';
