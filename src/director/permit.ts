/**
 * Withdrawal permits of the fleet guard (docs/fleet-guard.md): what a node signs to ask
 * a director whether it may withdraw a service, what the director answers, and the rule
 * by which the node reads the answers of all its directors.
 *
 *   POST /v1/permits   body { request, sig }   answer PermitAnswer (200), or an error
 *
 * A request is signed with the node's ad key (the trusted keys file's `node` line for
 * its origin) over "anycast-guard-permit-v1\n" + canonical JSON, so a permit signature
 * can never pass for an ad's or the reverse. A director refuses a request whose
 * `issuedAt` is further from its clock than its clock_skew: a replayed request is good
 * for that long at most, and all it can do is hold a permit, which only ever keeps
 * routes announced.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { nameSchema } from './ad.js';
import { canonicalBytes } from './canonical.js';

export const PERMIT_VERSION = 1;
export const PERMIT_PATH = '/v1/permits';

const DOMAIN = Buffer.from('anycast-guard-permit-v1\n', 'utf8');

/** The fewest nodes that must keep announcing a service: a count, or a share of the nodes that list it. */
export const permitMinimumSchema = z.union([
  z.strictObject({ announcing: z.number().int().min(1).max(1_000_000) }),
  z.strictObject({ fraction: z.number().gt(0).max(1) }),
]);
export type PermitMinimum = z.infer<typeof permitMinimumSchema>;

const epochMs = z.number().int().min(0).max(8_640_000_000_000_000);

export const permitRequestSchema = z
  .strictObject({
    v: z.literal(PERMIT_VERSION),
    /** acquire: may I withdraw? release: I will not use the permit (my checks recovered, or others refused). */
    action: z.enum(['acquire', 'release']),
    /** The node's origin name, as in its ads. */
    origin: nameSchema,
    service: nameSchema,
    /** Required to acquire. */
    minimum: permitMinimumSchema.optional(),
    /** The node's clock when it signed the request. */
    issuedAt: epochMs,
  })
  .superRefine((request, ctx) => {
    if (request.action === 'acquire' && request.minimum === undefined)
      ctx.addIssue({ code: 'custom', path: ['minimum'], message: 'is required to acquire' });
  });
export type PermitRequest = z.infer<typeof permitRequestSchema>;

export const permitEnvelopeSchema = z.strictObject({
  request: permitRequestSchema,
  sig: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 Ed25519 signature (64 bytes)'),
});
export type PermitEnvelope = z.infer<typeof permitEnvelopeSchema>;

const count = z.number().int().min(0).max(1_000_000);

/** A director's answer; for a release, `granted` is false and the counts are its view after it. */
export const permitAnswerSchema = z.strictObject({
  service: nameSchema,
  granted: z.boolean(),
  /** Nodes this director sees announcing the service (up or guarded), the asker included. */
  announcing: count,
  /** Nodes whose ads list the service, in any state. */
  total: count,
  /** The minimum the request asked for, as a node count. */
  min: count,
  /** Permits this director holds for the service now, this one included when granted. */
  outstanding: count,
  /** Why, in words: "5 announcing, 1 permit out, min 2: 2 more may withdraw". */
  reason: z.string().max(512),
  /** Until when (director's clock) the permit is held for the asker, when granted. */
  expiresAt: epochMs.optional(),
});
export type PermitAnswer = z.infer<typeof permitAnswerSchema>;

/** One director's reply to one acquire, as the node's client saw it. */
export type PermitReply =
  | { readonly director: string; readonly answer: PermitAnswer }
  /** Not answered: unreachable, timed out, not ready (503), refused the request (4xx) or a bad answer. */
  | { readonly director: string; readonly error: string };

/**
 * What the node side asks the directors through (director/permit-client.ts implements
 * it over HTTP; the node's fleet guard only sees this).
 */
export interface PermitAsker {
  /** Asks every known director at once; resolves within the request timeout, one reply per director. */
  acquire(service: string, minimum: PermitMinimum): Promise<PermitReply[]>;
  /** Tells every known director the permits for this service are not needed; never throws. */
  release(service: string): Promise<void>;
  /** How many directors the node knows now (configured, discovered and learned). */
  knownDirectors(): number;
}

/** The exact bytes a permit request's signature covers. */
export function permitSignedBytes(request: PermitRequest): Buffer {
  return Buffer.concat([DOMAIN, canonicalBytes(request)]);
}

export function signPermitRequest(request: PermitRequest, key: KeyObject): PermitEnvelope {
  return { request, sig: sign(null, permitSignedBytes(request), key).toString('base64') };
}

export function verifyPermitRequest(envelope: PermitEnvelope, key: KeyObject): boolean {
  try {
    return verify(
      null,
      permitSignedBytes(envelope.request),
      key,
      Buffer.from(envelope.sig, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The node count a minimum stands for among `total` nodes listing the service: at least 1. */
export function minimumCount(minimum: PermitMinimum, total: number): number {
  if ('announcing' in minimum) return minimum.announcing;
  return Math.max(1, Math.ceil(minimum.fraction * total - 1e-9));
}

export type WhenDirectorsUnreachable = 'withdraw' | 'hold';

export type WithdrawalDecision =
  | { readonly withdraw: true; readonly reason: string; readonly fleet?: FleetCount }
  | { readonly withdraw: false; readonly reason: string; readonly fleet?: FleetCount };

/** The fleet as the directors that answered see it: the most optimistic refusal, or the grant. */
export interface FleetCount {
  readonly announcing: number;
  readonly total: number;
  readonly min: number;
  /** Directors that answered, granted, and that the node knows. */
  readonly answered: number;
  readonly granted: number;
  readonly known: number;
}

/**
 * The node's rule: withdraw only when every director that answered granted a permit, and
 * those that answered are a majority of the directors it knows. A director grants at most
 * `announcing − min` permits at a time, so with every permit coming from every reachable
 * director, concurrent withdrawals never exceed any one director's count; a majority of
 * answers alone would not do (three directors each granting 3 of 5 nodes' permits can
 * let 4 nodes withdraw: docs/fleet-guard.md has the example).
 *
 * When no director answers (or fewer than a majority, all granting), `when` decides:
 * "withdraw" lets local health decide, as without the guard; "hold" keeps announcing.
 * A refusal from any director that answered always holds.
 */
export function decideWithdrawal(
  replies: readonly PermitReply[],
  knownDirectors: number,
  when: WhenDirectorsUnreachable,
): WithdrawalDecision {
  const answers = replies.flatMap((r) => ('answer' in r ? [r.answer] : []));
  const known = Math.max(knownDirectors, replies.length);
  const granted = answers.filter((a) => a.granted);
  const refused = answers.filter((a) => !a.granted);
  const fleetOf = (a: PermitAnswer): FleetCount => ({
    announcing: a.announcing,
    total: a.total,
    min: a.min,
    answered: answers.length,
    granted: granted.length,
    known,
  });
  if (refused.length > 0) {
    // The refusal that sees the most nodes announcing: the count least likely to be stale.
    const best = refused.reduce((a, b) => (b.announcing > a.announcing ? b : a));
    return {
      withdraw: false,
      reason: `${refused.length} of ${answers.length} directors refused a withdrawal permit: ${best.reason}`,
      fleet: fleetOf(best),
    };
  }
  const first = granted[0];
  if (first !== undefined && granted.length >= majorityOf(known))
    return {
      withdraw: true,
      reason: `withdrawal permitted by ${granted.length} of ${known} directors`,
      fleet: fleetOf(first),
    };
  const reach =
    answers.length === 0
      ? `no director answered (${known} known)`
      : `only ${answers.length} of ${known} directors answered, fewer than a majority`;
  if (when === 'withdraw')
    return {
      withdraw: true,
      reason: `${reach}: local health decides (when_directors_unreachable = "withdraw")`,
      ...(first === undefined ? {} : { fleet: fleetOf(first) }),
    };
  return {
    withdraw: false,
    reason: `${reach}: holding (when_directors_unreachable = "hold")`,
    ...(first === undefined ? {} : { fleet: fleetOf(first) }),
  };
}

/** More than half of `known` directors. */
export function majorityOf(known: number): number {
  return Math.floor(known / 2) + 1;
}

export type PermitOutcome = 'granted' | 'refused' | 'unreachable';

/** Which of decideWithdrawal's three cases a decision is (for the node's logs). */
export function permitOutcome(decision: WithdrawalDecision): PermitOutcome {
  const fleet = decision.fleet;
  if (fleet === undefined) return 'unreachable';
  if (fleet.answered > fleet.granted) return 'refused';
  return fleet.granted >= majorityOf(fleet.known) ? 'granted' : 'unreachable';
}
