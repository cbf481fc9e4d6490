/**
 * The node's [directors] section: where to send this node's ads, signed with which
 * key, how often, and what they say about the node (its URL, site, coordinates).
 * Reaching a director never affects announcing; see docs/directors.md.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { httpUrlSchema, nameSchema, NAME_PATTERN, probeSchema, type ProbeSpec } from './ad.js';
import type { ClientTlsFiles } from './http.js';
import { type IssueList, isTable, seconds, validate } from '../validation/index.js';

export interface NodeDirectorsConfig {
  /** A federation discovery document listing every director. */
  readonly discoveryUrl?: string;
  /** Director URLs given directly. */
  readonly urls: readonly string[];
  /** Ed25519 private key (PKCS#8 PEM) the ads are signed with. */
  readonly keyFile: string;
  readonly intervalMs: number;
  readonly adLifetimeMs: number;
  readonly timeoutMs: number;
  /** The origin name in the ads (the trusted keys file lists it); default the hostname. */
  readonly name: string;
  /** This node's own (unicast) URL, which directors hand to clients. */
  readonly url: string;
  readonly site?: string;
  readonly lat?: number;
  readonly lon?: number;
  /** For https:// directors: a CA instead of the system store, a client certificate. */
  readonly tls?: ClientTlsFiles;
  /** What directors probe at `url` to tell whether this node is reachable from outside. */
  readonly probe?: ProbeSpec;
}

const absolute = z.string().startsWith('/', 'must be an absolute path');

const schema = z.strictObject({
  discovery_url: httpUrlSchema.optional(),
  urls: z.array(httpUrlSchema).max(256).optional(),
  key_file: z.string().startsWith('/', 'must be an absolute path'),
  interval: seconds({ max: 3600 }).optional(),
  ad_lifetime: seconds({ max: 86_400 }).optional(),
  timeout: seconds({ max: 60 }).optional(),
  name: nameSchema.optional(),
  url: httpUrlSchema,
  site: nameSchema.optional(),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  tls: z
    .strictObject({
      ca_file: absolute.optional(),
      cert_file: absolute.optional(),
      key_file: absolute.optional(),
    })
    .optional(),
  probe: z
    .strictObject({
      path: probeSchema.shape.path.optional(),
      interval: seconds({ max: 3600 }).optional(),
      timeout: seconds({ max: 60 }).optional(),
    })
    .optional(),
});

export function buildDirectors(raw: unknown, issues: IssueList): NodeDirectorsConfig | undefined {
  if (!isTable(raw)) {
    issues.add(['directors'], 'must be a table ([directors])');
    return undefined;
  }
  const before = issues.count;
  // Checked on the raw table, so it is reported beside any other problem.
  if (raw.discovery_url === undefined && (!Array.isArray(raw.urls) || raw.urls.length === 0))
    issues.add(['directors'], 'names no director: set discovery_url or urls');
  const section = validate(schema, raw, ['directors'], issues);
  if (section === undefined) return undefined;
  const interval = section.interval ?? 10;
  const lifetime = section.ad_lifetime ?? interval * 3;
  if (lifetime < interval * 2)
    issues.add(
      ['directors', 'ad_lifetime'],
      `must be at least twice the interval (${interval} s), or one lost ad expires this node at the directors`,
    );
  if ((section.lat === undefined) !== (section.lon === undefined))
    issues.add(
      ['directors', section.lat === undefined ? 'lat' : 'lon'],
      'is required with the other coordinate',
    );
  const name = section.name ?? hostname().split('.')[0] ?? '';
  if (section.name === undefined && !NAME_PATTERN.test(name))
    issues.add(
      ['directors', 'name'],
      `is required: the hostname "${name}" is not a valid origin name`,
    );
  if (
    section.tls !== undefined &&
    (section.tls.cert_file === undefined) !== (section.tls.key_file === undefined)
  )
    issues.add(
      ['directors', 'tls', section.tls.cert_file === undefined ? 'cert_file' : 'key_file'],
      'is required with the other (a client certificate needs its key)',
    );
  const probe = section.probe;
  if (probe !== undefined && (probe.interval ?? 5) < 1)
    issues.add(
      ['directors', 'probe', 'interval'],
      'must be at least 1 s (directors probe at most once a second)',
    );
  if (probe !== undefined && (probe.timeout ?? 2) < 0.1)
    issues.add(['directors', 'probe', 'timeout'], 'must be at least 0.1 s');
  if (probe !== undefined && (probe.timeout ?? 2) > (probe.interval ?? 5))
    issues.add(
      ['directors', 'probe', 'timeout'],
      `must not be longer than the probe interval (${probe.interval ?? 5} s)`,
    );
  if (issues.count > before) return undefined;
  return {
    ...(section.discovery_url === undefined ? {} : { discoveryUrl: section.discovery_url }),
    urls: section.urls ?? [],
    keyFile: section.key_file,
    intervalMs: interval * 1000,
    adLifetimeMs: lifetime * 1000,
    timeoutMs: (section.timeout ?? 2) * 1000,
    name,
    url: section.url,
    ...(section.site === undefined ? {} : { site: section.site }),
    ...(section.lat === undefined ? {} : { lat: section.lat }),
    ...(section.lon === undefined ? {} : { lon: section.lon }),
    ...(section.tls === undefined
      ? {}
      : {
          tls: {
            ...(section.tls.ca_file === undefined ? {} : { caFile: section.tls.ca_file }),
            ...(section.tls.cert_file === undefined ? {} : { certFile: section.tls.cert_file }),
            ...(section.tls.key_file === undefined ? {} : { keyFile: section.tls.key_file }),
          },
        }),
    ...(probe === undefined
      ? {}
      : {
          probe: {
            path: probe.path ?? '/health',
            intervalMs: Math.round((probe.interval ?? 5) * 1000),
            timeoutMs: Math.round((probe.timeout ?? 2) * 1000),
          },
        }),
  };
}
