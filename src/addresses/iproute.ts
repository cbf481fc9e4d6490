/**
 * The few iproute2 operations address management needs, on an IpRunner:
 *
 *   ip -j addr show                      every device's addresses (JSON)
 *   ip -j route get DEST                 the device the kernel routes DEST through (JSON)
 *   ip addr add CIDR dev DEV [nodad]     IPv6 with nodad: usable at once, no DAD wait
 *   ip addr del CIDR dev DEV
 *
 * Failures become AddressErrors naming the address, the device and the reason; an add
 * of an address already there and a delete of one already gone are successes (the
 * operations are idempotent). Kernel wording differs by version ("File exists" before
 * extack, "Address already assigned" after), so both are matched.
 */
import { z } from 'zod';
import type { InterfaceAddress } from './address.js';
import { canonicalIp } from './address.js';
import { AddressError, IpCommandError } from './errors.js';
import type { IpRunner } from './ip-command.js';
import { errorMessage } from '../util/index.js';

export interface ObservedAddress {
  readonly family: 4 | 6;
  /** Canonical text. */
  readonly ip: string;
  readonly prefixLength: number;
}

/** Device name → its addresses. */
export type AddressTable = ReadonlyMap<string, readonly ObservedAddress[]>;

const addrShowSchema = z.array(
  z.object({
    ifname: z.string(),
    addr_info: z
      .array(
        z.object({
          family: z.string().optional(),
          local: z.string().optional(),
          prefixlen: z.number().optional(),
        }),
      )
      .optional(),
  }),
);

const routeGetSchema = z.array(
  z.object({ dev: z.string().optional(), type: z.string().optional() }),
);

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new AddressError(
      'ADDRESS_BAD_OUTPUT',
      `${what}: output is not JSON (${text.slice(0, 120)})`,
      { cause: error },
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new AddressError(
      'ADDRESS_BAD_OUTPUT',
      `${what}: unexpected JSON: ${parsed.error.message}`,
    );
  return parsed.data;
}

/** Parses `ip -j addr show`. Entries without an address (filtered output prints `{}`) are skipped. */
export function parseAddressJson(text: string): AddressTable {
  const table = new Map<string, ObservedAddress[]>();
  // `ip -j addr show` on a system with no devices prints nothing at all.
  if (text.trim() === '') return table;
  for (const link of parseJson(addrShowSchema, text, 'ip -j addr show')) {
    const addresses = table.get(link.ifname) ?? [];
    for (const info of link.addr_info ?? []) {
      if (info.local === undefined || info.prefixlen === undefined) continue;
      if (info.family !== 'inet' && info.family !== 'inet6') continue;
      addresses.push({
        family: info.family === 'inet' ? 4 : 6,
        ip: canonicalIp(info.local),
        prefixLength: info.prefixlen,
      });
    }
    table.set(link.ifname, addresses);
  }
  return table;
}

/** Parses `ip -j route get DEST`: the device of the first route. */
export function parseRouteGetJson(text: string, destination: string): string {
  const routes = parseJson(routeGetSchema, text, `ip -j route get ${destination}`);
  const dev = routes[0]?.dev;
  if (dev === undefined)
    throw new AddressError(
      'ADDRESS_DEVICE_UNRESOLVED',
      `device = "auto": the kernel's route toward ${destination} names no device (${routes[0]?.type ?? 'no route'})`,
    );
  return dev;
}

export async function readAddresses(run: IpRunner): Promise<AddressTable> {
  try {
    return parseAddressJson(await run(['-j', 'addr', 'show']));
  } catch (error) {
    throw asAddressError(error, 'cannot list addresses');
  }
}

/** The device the kernel would send packets for `destination` through. */
export async function routeDevice(run: IpRunner, destination: string): Promise<string> {
  let text: string;
  try {
    text = await run(['-j', 'route', 'get', destination]);
  } catch (error) {
    const stderr = error instanceof IpCommandError ? error.stderr.trim() : '';
    if (stderr !== '' && (error as IpCommandError).spawnError === undefined)
      throw new AddressError(
        'ADDRESS_DEVICE_UNRESOLVED',
        `device = "auto": the kernel has no route toward the BGP peer ${destination} (${stderr})`,
        { cause: error },
      );
    throw asAddressError(
      error,
      `device = "auto": cannot ask the kernel for the route toward ${destination}`,
    );
  }
  return parseRouteGetJson(text, destination);
}

/** `ip addr add`; "added", or "exists" when the kernel already had it. */
export async function addAddress(
  run: IpRunner,
  address: InterfaceAddress,
  device: string,
): Promise<'added' | 'exists'> {
  const args = ['addr', 'add', address.cidr, 'dev', device];
  if (address.family === 6) args.push('nodad');
  try {
    await run(args);
    return 'added';
  } catch (error) {
    if (error instanceof IpCommandError && /File exists|already assigned/i.test(error.stderr))
      return 'exists';
    throw asAddressError(error, `cannot add ${address.cidr} to ${device}`, {
      address: address.cidr,
      device,
    });
  }
}

/** `ip addr del`; "removed", or "absent" when the kernel no longer had it. */
export async function removeAddress(
  run: IpRunner,
  cidr: string,
  device: string,
): Promise<'removed' | 'absent'> {
  try {
    await run(['addr', 'del', cidr, 'dev', device]);
    return 'removed';
  } catch (error) {
    if (
      error instanceof IpCommandError &&
      /Cannot assign requested address|address not found/i.test(error.stderr)
    )
      return 'absent';
    throw asAddressError(error, `cannot remove ${cidr} from ${device}`, { address: cidr, device });
  }
}

/**
 * An AddressError for a failed `ip` run: `what` says what we were doing ("cannot add
 * 203.0.113.53/32 to lo"), the rest says why and what to do.
 */
export function asAddressError(
  error: unknown,
  what: string,
  details: { address?: string; device?: string } = {},
): AddressError {
  if (error instanceof AddressError) return error;
  const withCause = { ...details, cause: error };
  if (!(error instanceof IpCommandError))
    return new AddressError('ADDRESS_COMMAND_FAILED', `${what}: ${errorMessage(error)}`, withCause);
  if (error.spawnError === 'ENOENT')
    return new AddressError(
      'ADDRESS_IP_UNAVAILABLE',
      `${what}: the iproute2 "ip" command was not found (${error.argv[0]}); install iproute2, or set address_management = "off"`,
      withCause,
    );
  const stderr = error.stderr.trim();
  if (/Operation not permitted|Permission denied/i.test(stderr))
    return new AddressError(
      'ADDRESS_PERMISSION_DENIED',
      `${what}: permission denied (${stderr}); managing addresses needs CAP_NET_ADMIN: run as root or grant the capability (systemd AmbientCapabilities=CAP_NET_ADMIN), or set address_management = "off" and bind the address yourself`,
      withCause,
    );
  if (/Cannot find device|does not exist/i.test(stderr))
    return new AddressError(
      'ADDRESS_DEVICE_NOT_FOUND',
      `${what}: no such device (${stderr})`,
      withCause,
    );
  return new AddressError('ADDRESS_COMMAND_FAILED', `${what}: ${error.message}`, withCause);
}
