/**
 * Addresses: the anycast addresses a service needs on a local device (lo by default)
 * so the kernel accepts its traffic, bound before the announcers start and removed
 * after every route is withdrawn. See docs/addresses.md.
 */
export type * from './types.js';
export { AUTO_DEVICE, DEFAULT_DEVICE } from './types.js';
export { AddressError, IpCommandError, type AddressErrorCode } from './errors.js';
export {
  parseInterfaceAddress,
  canonicalIp,
  sameIp,
  type AddressFamily,
  type InterfaceAddress,
} from './address.js';
export {
  checkAddressConfig,
  addressEntries,
  DEVICE_NAME_PATTERN,
  type AddressConfigIssue,
  type AddressEntry,
} from './config-check.js';
export {
  decideAddress,
  type AddressAction,
  type AddressDecision,
  type AddressFacts,
  type AddressPhase,
} from './plan.js';
export { ipCommand, type IpCommandOptions, type IpRunner } from './ip-command.js';
export {
  parseAddressJson,
  parseRouteGetJson,
  readAddresses,
  routeDevice,
  addAddress,
  removeAddress,
  type AddressTable,
  type ObservedAddress,
} from './iproute.js';
export { AddressManager, createAddressManager, type AddressManagerOptions } from './manager.js';
export {
  ADDRESS_STATE_FILE,
  AddressStateFile,
  addressStatePath,
  parseAddressState,
  type AddedAddress,
} from './state-file.js';
