/** Types of the addresses area: what the config gives, what status shows. */

/**
 * How a service's addresses are managed:
 * - "auto": add an address only if it is absent at start; remove only what this process added.
 * - "on": always add (idempotent), always remove at release.
 * - "off": never touch; only check the address is there and report when it is not.
 */
export type AddressManagement = 'auto' | 'on' | 'off';

/** The device addresses go on when none is configured. */
export const DEFAULT_DEVICE = 'lo';
/** `device = "auto"`: the device the kernel routes toward the first BGP peer. */
export const AUTO_DEVICE = 'auto';

/** One service's address settings, as the config layer hands them over. */
export interface AddressServiceConfig {
  readonly name: string;
  /** "203.0.113.53", "2001:db8::53", "198.51.100.7/24"; empty: the service binds nothing. */
  readonly addresses: readonly string[];
  /** A device name, or "auto". Default "lo". */
  readonly device?: string;
  /** Default "auto". */
  readonly management?: AddressManagement;
  /** Remove the service's addresses while it is not up (and before it first comes up). Default false. */
  readonly withdrawAddressWhenDown?: boolean;
}

/**
 * Who an address belongs to, as far as this process is concerned:
 * - "self": this process manages it and removes it at release (it added it, or mode "on");
 * - "external": it was there at start and is not ours to touch (auto, off);
 * - "none": it is absent and not ours to add (off).
 */
export type AddressOwner = 'self' | 'external' | 'none';

/** One address on one device, as status shows it. */
export interface AddressStatus {
  /** "203.0.113.53/32". */
  readonly address: string;
  /** The device it goes on; undefined while `device = "auto"` is unresolved. */
  readonly device: string | undefined;
  /** The device as configured ("lo", "auto", "eth0"). */
  readonly configuredDevice: string;
  readonly management: AddressManagement;
  /** The services that list it. */
  readonly services: readonly string[];
  /** Whether it is on the device, as last seen; undefined before bind or when it cannot be checked. */
  readonly present: boolean | undefined;
  /** Prefix lengths the address was last seen with on the device (usually one). */
  readonly presentLengths: readonly number[];
  /**
   * Who added the address that is there: "anycast-guard" (this process), "other"
   * (an operator or another program, before we started), or undefined when absent.
   */
  readonly addedBy: 'anycast-guard' | 'other' | undefined;
  /** True when release() will remove it. */
  readonly removeOnRelease: boolean;
  /** False while withdrawn because every service listing it with withdraw_address_when_down is down. */
  readonly wanted: boolean;
  /** What is wrong, if anything (absent in mode "off", device missing, …). */
  readonly problem?: string;
  /** Epoch ms of the last observation. */
  readonly checkedAt?: number;
}
