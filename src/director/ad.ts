/**
 * Ads: what a node or a director tells the directors about itself, and the envelope
 * an ad travels in between directors. The wire format is JSON; docs/directors.md
 * describes every field.
 *
 *   ad        signed by its origin; never changed after signing
 *   envelope  { ad, sig, seenBy, sentAt, expiresAt, to? }: the signature, the
 *             directors the ad has passed through (added by each forwarder,
 *             unsigned), the sender's clock at sending with its view of the expiry
 *             (for the clock-skew correction in expiry.ts), and the directors the
 *             origin sends the ad to itself (so no director forwards it to them)
 *
 * Every field is bounded, so a director's memory per ad is bounded too.
 *
 * Version 2 (this one): directors refuse an ad whose signed expiry has passed by
 * their own clock, nodes may ask to be probed from outside (node.probe), and
 * directors share what they cannot reach (director.unreachable). Version 1 ads are
 * refused with a reason that says so: their origin runs an older release. New
 * fields come as optional members (signed like the rest); a field a director does
 * not know makes it refuse the ad, so a fleet upgrades its directors first. The same
 * holds for the service state `guarded` (fleet guard: still announcing, degraded):
 * older directors refuse ads that carry it.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

export const AD_VERSION = 2;
export const SERVICE_STATES = ['up', 'guarded', 'down', 'held-down', 'drained'] as const;

/** Node, director and service names: what a config key or a hostname may be. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const NAME_RULE =
  'must be 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit';

export const MAX_SERVICES = 256;
export const MAX_PREFIXES = 256;
export const MAX_SEEN_BY = 64;
/** Longest lifetime an ad may claim: a day. */
export const MAX_LIFETIME_MS = 86_400_000;
/** Nodes a director lists as unreachable in its own ad, at most. */
export const MAX_UNREACHABLE = 4096;

export const nameSchema = z.string().regex(NAME_PATTERN, NAME_RULE);

export const httpUrlSchema = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

const prefixSchema = z
  .string()
  .max(64)
  .refine((text) => {
    try {
      ipaddr.parseCIDR(text);
      return true;
    } catch {
      return false;
    }
  }, 'must be a prefix such as "203.0.113.53/32"');

const epochMs = z
  .number()
  .int('must be a whole number of milliseconds since the epoch')
  .min(0)
  .max(8_640_000_000_000_000);

export const serviceAdSchema = z.strictObject({
  name: nameSchema,
  state: z.enum(SERVICE_STATES),
  prefixes: z.array(prefixSchema).max(MAX_PREFIXES),
});

/** What a director probes at a node's URL, and how often (node side [directors] probe). */
export const probeSchema = z.strictObject({
  path: z
    .string()
    .max(1024)
    .regex(/^\/[^\s]*$/, 'must be an absolute path such as "/health"'),
  intervalMs: z.number().int().min(100).max(3_600_000),
  timeoutMs: z.number().int().min(100).max(60_000),
});
export type ProbeSpec = z.infer<typeof probeSchema>;

export const nodeInfoSchema = z.strictObject({
  url: httpUrlSchema,
  probe: probeSchema.optional(),
  site: nameSchema.optional(),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  load: z.number().min(0).max(1_000_000),
  services: z.array(serviceAdSchema).max(MAX_SERVICES),
});

/** A node this director cannot reach (its outside probe fails), since when and why. */
export const unreachableSchema = z.strictObject({
  node: nameSchema,
  since: epochMs,
  error: z.string().max(256),
});
export type Unreachable = z.infer<typeof unreachableSchema>;

export const directorInfoSchema = z.strictObject({
  url: httpUrlSchema,
  unreachable: z.array(unreachableSchema).max(MAX_UNREACHABLE).optional(),
});

const adBase = {
  v: z.literal(AD_VERSION),
  origin: nameSchema,
  startTime: epochMs,
  instance: z.uuid('must be a UUID'),
  generation: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  issuedAt: epochMs,
  expires: epochMs,
};

export const adSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ ...adBase, kind: z.literal('node'), node: nodeInfoSchema }),
    z.strictObject({ ...adBase, kind: z.literal('director'), director: directorInfoSchema }),
  ])
  .superRefine((ad, ctx) => {
    const lifetime = ad.expires - ad.issuedAt;
    if (lifetime <= 0 || lifetime > MAX_LIFETIME_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['expires'],
        message: `must be after issuedAt by at most ${MAX_LIFETIME_MS / 1000} s (the ad claims ${lifetime} ms)`,
      });
    if (ad.kind === 'node') {
      const names = new Set<string>();
      for (const [i, service] of ad.node.services.entries()) {
        if (names.has(service.name))
          ctx.addIssue({
            code: 'custom',
            path: ['node', 'services', i, 'name'],
            message: `lists service "${service.name}" twice`,
          });
        names.add(service.name);
      }
    }
  });

export type Ad = z.infer<typeof adSchema>;
export type NodeAd = Extract<Ad, { kind: 'node' }>;
export type DirectorAd = Extract<Ad, { kind: 'director' }>;
export type AdKind = Ad['kind'];
export type ServiceAd = z.infer<typeof serviceAdSchema>;

export const seenBySchema = z.strictObject({ name: nameSchema, instance: z.uuid(), at: epochMs });
export type SeenBy = z.infer<typeof seenBySchema>;

export const envelopeSchema = z.strictObject({
  ad: adSchema,
  /** Ed25519 over signedBytes(ad), base64 (64 bytes). */
  sig: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 Ed25519 signature (64 bytes)'),
  seenBy: z.array(seenBySchema).max(MAX_SEEN_BY),
  /** The sender's clock when it sent this envelope. */
  sentAt: epochMs,
  /** When the sender will drop the ad, by the sender's clock. */
  expiresAt: epochMs,
  /**
   * The directors the origin delivers this ad to itself (set by the origin, passed on
   * unchanged, unsigned): nobody needs to forward it to them. A hint only: an origin
   * that lies about it delays nothing but its own ads.
   */
  to: z.array(nameSchema).max(MAX_SEEN_BY).optional(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** "kind:origin": the key an ad is stored and ordered under. */
export function originKey(ad: Pick<Ad, 'kind' | 'origin'>): string {
  return `${ad.kind}:${ad.origin}`;
}

/** "origin instance#generation", for logs and messages. */
export function describeAd(ad: Pick<Ad, 'kind' | 'origin' | 'instance' | 'generation'>): string {
  return `${ad.kind} ${ad.origin} (instance ${ad.instance.slice(0, 8)}, generation ${ad.generation})`;
}

/** zod's issues as one line per problem: "ad.node.url: must be an http:// or https:// URL". */
export function formatIssues(error: z.ZodError, base = ''): string {
  return error.issues
    .map((issue) => {
      const path = [base, ...issue.path.map(String)].filter((p) => p !== '').join('.');
      return `${path === '' ? '(top)' : path}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates one envelope; the error names the field and the reason. */
export function parseEnvelope(
  value: unknown,
): { ok: true; envelope: Envelope } | { ok: false; error: string } {
  const version = (value as { ad?: { v?: unknown } } | null)?.ad?.v;
  if (typeof version === 'number' && version !== AD_VERSION)
    return {
      ok: false,
      error:
        version < AD_VERSION
          ? `ad.v: format v${version} is no longer accepted (its signed expiry was not enforced): the origin runs an older release and must be upgraded to sign v${AD_VERSION} ads`
          : `ad.v: format v${version} is newer than this director understands (v${AD_VERSION}): upgrade the director`,
    };
  const result = envelopeSchema.safeParse(value);
  if (result.success) return { ok: true, envelope: result.data };
  return { ok: false, error: formatIssues(result.error) };
}
