/**
 * Text forms of communities for configuration and status.
 *
 * RFC 1997 ("asn:value", 16 bits each, and the well-known NO_EXPORT,
 * NO_ADVERTISE, NO_EXPORT_SUBCONFED), RFC 3765 NOPEER, RFC 7999 BLACKHOLE,
 * RFC 8326 GRACEFUL_SHUTDOWN; RFC 8092 large communities ("global:local1:local2",
 * 32 bits each).
 */
import { WellKnownCommunity } from '../constants.js';
import type { LargeCommunity } from '../types.js';

export class CommunityError extends Error {
  readonly kind = 'bgp.invalid_community';
  constructor(message: string) {
    super(message);
    this.name = 'CommunityError';
  }
}

const byName = new Map<string, number>(Object.entries(WellKnownCommunity));
const byValue = new Map<number, string>(
  Object.entries(WellKnownCommunity).map(([name, value]) => [value, name]),
);
const wellKnownNames = [...byName.keys()].join(', ');

function field(text: string, part: string, label: string, max: number, what: string): number {
  if (!/^\d{1,10}$/.test(part) || Number(part) > max) {
    throw new CommunityError(
      `${what} "${text}": ${label} "${part}" must be a number from 0 to ${max}`,
    );
  }
  return Number(part);
}

/** Parses "65001:100" or a well-known name ("no-export"; "NO_EXPORT" works too) to its 32-bit value. */
export function parseCommunity(text: string): number {
  const trimmed = text.trim();
  const named = byName.get(trimmed.toLowerCase().replaceAll('_', '-'));
  if (named !== undefined) return named;
  const parts = trimmed.split(':');
  if (parts.length !== 2) {
    const hint = parts.length === 3 ? ' (three parts is a large community)' : '';
    throw new CommunityError(
      `community "${text}" is neither "asn:value" nor a well-known name (${wellKnownNames})${hint}`,
    );
  }
  const asn = field(text, parts[0]!, 'ASN', 0xffff, 'community');
  const value = field(text, parts[1]!, 'value', 0xffff, 'community');
  return ((asn << 16) | value) >>> 0;
}

/** The well-known name, or "asn:value". */
export function formatCommunity(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`community value ${value} is not a 32-bit unsigned integer`);
  }
  return byValue.get(value) ?? `${value >>> 16}:${value & 0xffff}`;
}

/** Parses "65001:1:2". */
export function parseLargeCommunity(text: string): LargeCommunity {
  const parts = text.trim().split(':');
  if (parts.length !== 3) {
    throw new CommunityError(`large community "${text}" must have the form global:local1:local2`);
  }
  return {
    global: field(text, parts[0]!, 'global administrator', 0xffffffff, 'large community'),
    local1: field(text, parts[1]!, 'local data 1', 0xffffffff, 'large community'),
    local2: field(text, parts[2]!, 'local data 2', 0xffffffff, 'large community'),
  };
}

export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.global}:${c.local1}:${c.local2}`;
}
