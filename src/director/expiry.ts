/**
 * When a received ad expires by this director's clock, corrected for clock skew the
 * way Pelican's director does: every envelope carries the sender's clock at sending
 * (`sentAt`) and the sender's own view of the expiry (`expiresAt`). When the two
 * clocks differ by more than SKEW_TOLERANCE_MS, the remaining lifetime
 * (`expiresAt - sentAt`) is counted from our own now instead of trusting the
 * sender's absolute time.
 *
 * The remaining lifetime is capped by the signed one (`ad.expires - ad.issuedAt`), so
 * no forwarder can stretch an ad past what its origin signed, however many hops.
 * Known gap (as in Pelican): time an envelope spends in transit beyond the tolerance
 * is added to its life once per hop; a hop is milliseconds, an ad lives tens of seconds.
 */
import type { Envelope } from './ad.js';

export const SKEW_TOLERANCE_MS = 100;

/** The local epoch ms at which the ad in `envelope` expires; at or before `now` means expired. */
export function localExpiry(envelope: Envelope, now: number): number {
  const signedLifetime = envelope.ad.expires - envelope.ad.issuedAt;
  const remaining = Math.min(envelope.expiresAt - envelope.sentAt, signedLifetime);
  if (Math.abs(now - envelope.sentAt) > SKEW_TOLERANCE_MS) return now + remaining;
  return Math.min(envelope.expiresAt, now + signedLifetime);
}
