/**
 * When a received ad expires by this director's clock.
 *
 * 1. The signed bound: an ad is dead once its signed `expires` has passed by this
 *    director's clock, plus SIGNED_SKEW_ALLOWANCE_MS for clocks that differ, and it
 *    is not yet valid while its signed `issuedAt` lies further ahead than that. So a
 *    replayed ad (in a fresh envelope or not) can never outlive what its origin
 *    signed: nothing but the signed times decides whether it is still alive.
 * 2. Within that bound, the clock-skew correction of Pelican's director: every
 *    envelope carries the sender's clock at sending (`sentAt`) and the sender's view
 *    of the expiry (`expiresAt`). When the two clocks differ by more than
 *    SKEW_TOLERANCE_MS, the remaining lifetime (`expiresAt - sentAt`) is counted from
 *    our own now instead of trusting the sender's absolute time; it is capped by the
 *    signed lifetime (`ad.expires - ad.issuedAt`), so no forwarder can stretch an ad.
 *
 * Known gap (as in Pelican): time an envelope spends in transit beyond the tolerance
 * is added to its life once per hop, within the signed bound.
 */
import type { Ad, Envelope } from './ad.js';

export const SKEW_TOLERANCE_MS = 100;
/**
 * How far an origin's clock may be off from a director's before its ads are refused
 * as expired (or not yet valid): the default of the director's `clock_skew`.
 * Documented in docs/directors.md ("Replay").
 */
export const SIGNED_SKEW_ALLOWANCE_MS = 30_000;

/** Why the signed times refuse the ad at `now`, or undefined when they allow it. */
export function signedTimeProblem(
  ad: Pick<Ad, 'issuedAt' | 'expires'>,
  now: number,
  allowanceMs = SIGNED_SKEW_ALLOWANCE_MS,
): string | undefined {
  const allowance = `allowance for clock skew ${allowanceMs / 1000} s`;
  if (ad.expires + allowanceMs <= now)
    return `its signed expiry passed ${Math.round((now - ad.expires) / 1000)} s ago (${allowance})`;
  if (ad.issuedAt - allowanceMs > now)
    return `it is signed as issued ${Math.round((ad.issuedAt - now) / 1000)} s in the future (${allowance})`;
  return undefined;
}

/** The local epoch ms at which the ad in `envelope` expires; at or before `now` means expired. */
export function localExpiry(
  envelope: Envelope,
  now: number,
  allowanceMs = SIGNED_SKEW_ALLOWANCE_MS,
): number {
  const signedLifetime = envelope.ad.expires - envelope.ad.issuedAt;
  const signedEnd = envelope.ad.expires + allowanceMs;
  const remaining = Math.min(envelope.expiresAt - envelope.sentAt, signedLifetime);
  if (Math.abs(now - envelope.sentAt) > SKEW_TOLERANCE_MS)
    return Math.min(now + remaining, signedEnd);
  return Math.min(envelope.expiresAt, now + signedLifetime, signedEnd);
}
