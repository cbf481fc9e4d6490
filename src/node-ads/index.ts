/**
 * The node's side of directors: its ads, built from the daemon's status and sent by
 * the director area's advertiser. Above the daemon, since it reads the daemon's status.
 */
export { NodeDirectors, nodeAdvertiser, servicesOf } from './node-ads.js';
export {
  FleetGuard,
  GUARD_RECHECK_MS,
  type FleetGuardOptions,
  type PermitOutcome,
} from './fleet-guard.js';
