/** The bridge from a service's config to the address manager's settings. */
import type { AddressServiceConfig } from '../addresses/index.js';
import type { ServiceConfig } from './types.js';

export function addressSettings(service: ServiceConfig): AddressServiceConfig {
  return {
    name: service.name,
    addresses: service.addresses,
    device: service.device,
    management: service.addressManagement,
    withdrawAddressWhenDown: service.withdrawAddressWhenDown,
  };
}
