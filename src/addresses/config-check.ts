/**
 * Checks a set of services' address settings as a whole: every entry parses, no
 * entry is listed twice in one service, a shared address is shared consistently,
 * and withdraw_address_when_down has addresses it can act on. The config layer
 * reports these issues at their key paths; the manager refuses the same mistakes.
 */
import { parseInterfaceAddress } from './address.js';
import type { InterfaceAddress } from './address.js';
import { AddressError } from './errors.js';
import { AUTO_DEVICE, DEFAULT_DEVICE } from './types.js';
import type { AddressManagement, AddressServiceConfig } from './types.js';
import { errorMessage } from '../util/index.js';

/** Linux device names: 1 to 15 bytes (IFNAMSIZ 16), no "/", ":" or whitespace, not "." or "..". */
export const DEVICE_NAME_PATTERN = /^(?!\.{1,2}$)[^\s/:]{1,15}$/;

export interface AddressConfigIssue {
  readonly service: string;
  /** Key path inside the service table: ["addresses", 1], ["device"], … */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** ADDRESS_CONFLICT for a clash between entries, ADDRESS_INVALID otherwise. */
  readonly code: 'ADDRESS_INVALID' | 'ADDRESS_CONFLICT';
}

/** One address entry, resolved against its service's settings. */
export interface AddressEntry {
  readonly service: string;
  readonly index: number;
  readonly address: InterfaceAddress;
  readonly device: string;
  readonly management: AddressManagement;
  readonly withdrawWhenDown: boolean;
}

/** Every issue in the services' address settings (empty when they are fine). */
export function checkAddressConfig(
  services: readonly AddressServiceConfig[],
): AddressConfigIssue[] {
  return collect(services).issues;
}

/** The entries, or an AddressError (the first issue) when the settings are not fine. */
export function addressEntries(services: readonly AddressServiceConfig[]): AddressEntry[] {
  const { entries, issues } = collect(services);
  const first = issues[0];
  if (first !== undefined) {
    const where = `services.${first.service}.${first.path.join('.')}`;
    throw new AddressError(first.code, `${where}: ${first.message}`);
  }
  return entries;
}

function collect(services: readonly AddressServiceConfig[]): {
  entries: AddressEntry[];
  issues: AddressConfigIssue[];
} {
  const entries: AddressEntry[] = [];
  const issues: AddressConfigIssue[] = [];
  const byIp = new Map<string, AddressEntry>();
  for (const service of services) {
    const device = service.device ?? DEFAULT_DEVICE;
    const management = service.management ?? 'auto';
    const withdrawWhenDown = service.withdrawAddressWhenDown ?? false;
    const issue = (
      path: (string | number)[],
      message: string,
      code: AddressConfigIssue['code'] = 'ADDRESS_INVALID',
    ): void => {
      issues.push({ service: service.name, path, message, code });
    };
    if (device !== AUTO_DEVICE && !DEVICE_NAME_PATTERN.test(device))
      issue(
        ['device'],
        `"${device}" is not a device name (1 to 15 characters, no "/", ":" or spaces) or "auto"`,
      );
    if (withdrawWhenDown && service.addresses.length === 0)
      issue(['withdraw_address_when_down'], 'is set but the service has no addresses');
    else if (withdrawWhenDown && management === 'off')
      issue(
        ['withdraw_address_when_down'],
        'has no effect with address_management = "off" (addresses are never touched)',
      );
    const seen = new Set<string>();
    service.addresses.forEach((text, index) => {
      let address: InterfaceAddress;
      try {
        address = parseInterfaceAddress(text);
      } catch (error) {
        issue(['addresses', index], errorMessage(error));
        return;
      }
      if (seen.has(address.ip)) {
        issue(
          ['addresses', index],
          `${address.ip} is listed twice in this service`,
          'ADDRESS_CONFLICT',
        );
        return;
      }
      seen.add(address.ip);
      const entry: AddressEntry = {
        service: service.name,
        index,
        address,
        device,
        management,
        withdrawWhenDown,
      };
      const other = byIp.get(address.ip);
      if (other === undefined) byIp.set(address.ip, entry);
      else if (
        other.device !== device ||
        other.management !== management ||
        other.address.prefixLength !== address.prefixLength
      ) {
        issue(
          ['addresses', index],
          `${address.ip} is also listed by service "${other.service}" as ${other.address.cidr} on device "${other.device}" with address_management = "${other.management}"; a shared address needs the same length, device and address_management (here ${address.cidr}, "${device}", "${management}")`,
          'ADDRESS_CONFLICT',
        );
        return;
      }
      entries.push(entry);
    });
  }
  return { entries, issues };
}
