/** Directors: ads, their order and signatures, the replicated store, forwarding, locate. */
export * from './ad.js';
export { canonicalJson, canonicalBytes, CanonicalError } from './canonical.js';
export {
  Director,
  normalizeUrl,
  type DirectorOptions,
  type DiscoveryDocument,
} from './director.js';
export { DirectorServer, type DirectorServerTls } from './server.js';
export { DirectorError, type DirectorErrorCode } from './errors.js';
export {
  localExpiry,
  signedTimeProblem,
  SIGNED_SKEW_ALLOWANCE_MS,
  SKEW_TOLERANCE_MS,
} from './expiry.js';
export * from './keys.js';
export {
  PeerLink,
  httpTransport,
  type LinkTransport,
  type SendResult,
  type AdResult,
} from './link.js';
export { rankNodes, SiteMap, distanceKm, type SiteConfig, type RankedNode } from './locate.js';
export { compareAds, supersedes, orderKey } from './order.js';
export { AdStore, type StoredAd } from './store.js';
export { PeerQueue } from './queue.js';
export {
  afterProbe,
  outsideView,
  outsideViews,
  probeDue,
  PROBE_FAILURES_TO_DOWN,
  type OutsideView,
  type ProbeState,
} from './vantage.js';
export {
  isPlainRemote,
  NodeAdvertiser,
  type AdvertiserOptions,
  type AdvertiserStatus,
} from './advertiser.js';
export { buildDirectors, type NodeDirectorsConfig } from './node-settings.js';
export {
  loadDirectorConfig,
  parseDirectorConfig,
  type DirectorConfig,
  type DirectorTlsConfig,
} from './config.js';
export {
  errorText,
  loadClientTls,
  requestJson,
  type ClientTls,
  type ClientTlsFiles,
  type JsonResponse,
} from './http.js';
export * from './permit.js';
export { PermitClient, type PermitClientOptions } from './permit-client.js';
export {
  ANNOUNCING_STATES,
  PermitLedger,
  announcedServices,
  serviceView,
  type Dropped,
  type DropReason,
  type NodeServices,
  type Permit,
  type ServiceView,
} from './permits.js';
