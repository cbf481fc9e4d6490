/**
 * zod building blocks every area's settings use: whole numbers in a range, seconds
 * (bounded below Node's timer limit), IP addresses, "HOST:PORT". Messages are in the
 * file's words ("must be a whole number from 1 to 65535"), see issues.ts.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * Longest duration in seconds. Node's timers overflow above 2^31-1 ms (about
 * 24.8 days) and then fire at once, so nothing may come near that.
 */
export const MAX_SECONDS = 86_400;

/** A whole number in [min, max]. */
export function wholeNumber(min: number, max: number): z.ZodType<number> {
  return z.custom<number>(
    (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
    `must be a whole number from ${min} to ${max}`,
  );
}

/** Seconds, fractions allowed: more than 0 (or at least 0), at most `max`. */
export function seconds(options: { zero?: boolean; max?: number } = {}): z.ZodType<number> {
  const max = options.max ?? MAX_SECONDS;
  const low = options.zero === true ? 'from 0' : 'more than 0 and';
  return z.custom<number>(
    (v) =>
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (options.zero === true ? v >= 0 : v > 0) &&
      v <= max,
    options.zero === true
      ? `must be a number of seconds ${low} to ${max}`
      : `must be a number of seconds ${low} at most ${max}`,
  );
}

export const asn = wholeNumber(1, 0xffffffff);
export const uint32 = wholeNumber(0, 0xffffffff);
/** At least one consecutive result. */
export const count = wholeNumber(1, 1000);

export const nonEmpty = z.string().min(1);

/** An IP address as Node's sockets take it (IPv4 dotted quad or IPv6), optionally of one family. */
export function ipAddress(family?: 4 | 6): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    const kind = isIP(value);
    if (kind === 0) ctx.addIssue({ code: 'custom', message: 'is not an IP address' });
    else if (family !== undefined && kind !== family)
      ctx.addIssue({
        code: 'custom',
        message: `must be an IPv${family} address, not IPv${kind}`,
      });
  });
}

/** fe80::/10, as RFC 2545 wants for the second IPv6 next hop. */
export const linkLocalAddress = ipAddress(6).superRefine((value, ctx) => {
  if (isIP(value) === 6 && !isLinkLocal(value))
    ctx.addIssue({ code: 'custom', message: 'must be an IPv6 link-local address (fe80::/10)' });
});

export function isLinkLocal(address: string): boolean {
  return isIP(address) === 6 && ipaddr.IPv6.parse(address.split('%')[0]!).range() === 'linkLocal';
}

// "127.0.0.1:9180" or "[::1]:9180": lives in util/host-port.ts beside joinHostPort.
export { parseHostPort } from '../util/index.js';
