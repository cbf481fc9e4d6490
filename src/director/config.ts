/**
 * The director's configuration file (`anycast-guard director --config FILE`), TOML,
 * checked with the same key-path messages as the node's file (src/config/issues.ts).
 * Every key is described in docs/directors.md; examples/director.toml uses them all.
 */
import ipaddr from 'ipaddr.js';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import {
  checkTextSize,
  ConfigError,
  IssueList,
  parseHostPort,
  readConfigFile,
  seconds,
  validate,
  wholeNumber,
} from '../validation/index.js';
import { LOG_LEVELS } from '../log/index.js';
import { httpUrlSchema, nameSchema } from './ad.js';
import { SIGNED_SKEW_ALLOWANCE_MS } from './expiry.js';
import type { SiteConfig } from './locate.js';
import { joinHostPort } from '../util/index.js';

export interface DirectorConfig {
  readonly source: string;
  readonly name: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly advertiseUrl: string;
  readonly keyFile: string;
  readonly trustedKeys: string;
  readonly peers: readonly string[];
  readonly discoveryUrl?: string;
  readonly discoverPeers: boolean;
  readonly intervalMs: number;
  readonly adLifetimeMs: number;
  readonly timeoutMs: number;
  readonly maxAds: number;
  /** How far an origin's clock may be off before its signed times refuse its ads. */
  readonly clockSkewMs: number;
  readonly services: Readonly<Record<string, { readonly anycastUrl?: string }>>;
  readonly sites: readonly SiteConfig[];
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** HTTPS: the server certificate and key; with clientCaFile, POST /v1/ads needs a client certificate. */
  readonly tls?: DirectorTlsConfig;
}

export interface DirectorTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** Verifies https:// peers (and the discovery URL) instead of the system store. */
  readonly caFile?: string;
  /** Client certificates for POST /v1/ads must be signed by this CA (mutual TLS). */
  readonly clientCaFile?: string;
}

const absolute = z.string().startsWith('/', 'must be an absolute path');

const cidr = z.string().refine((text) => {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}, 'must be a subnet such as "10.1.0.0/16" or "2001:db8:1::/48"');

const schema = z.strictObject({
  name: nameSchema,
  listen: z
    .string()
    .refine((v) => parseHostPort(v) !== undefined, {
      message: 'must be "HOST:PORT" with an IP address, e.g. "127.0.0.1:8441" or "[::1]:8441"',
    })
    .optional(),
  advertise_url: httpUrlSchema.optional(),
  key_file: absolute,
  trusted_keys: absolute,
  peers: z.array(httpUrlSchema).max(256).optional(),
  discovery_url: httpUrlSchema.optional(),
  discover_peers: z.boolean().optional(),
  interval: seconds({ max: 3600 }).optional(),
  ad_lifetime: seconds({ max: 86_400 }).optional(),
  timeout: seconds({ max: 60 }).optional(),
  max_ads: wholeNumber(1, 1_000_000).optional(),
  clock_skew: seconds({ zero: true, max: 300 }).optional(),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).optional() }).optional(),
  tls: z
    .strictObject({
      cert_file: absolute,
      key_file: absolute,
      ca_file: absolute.optional(),
      client_ca_file: absolute.optional(),
    })
    .optional(),
  services: z
    .record(nameSchema, z.strictObject({ anycast_url: httpUrlSchema.optional() }))
    .optional(),
  sites: z
    .record(
      nameSchema,
      z.strictObject({
        subnets: z.array(cidr).min(1),
        lat: z.number().min(-90).max(90).optional(),
        lon: z.number().min(-180).max(180).optional(),
      }),
    )
    .optional(),
});

export const DEFAULT_DIRECTOR_LISTEN = '127.0.0.1:8441';

export function parseDirectorConfig(text: string, source: string): DirectorConfig {
  checkTextSize(text, source);
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError)
      throw new ConfigError(
        'CONFIG_SYNTAX',
        source,
        [
          {
            path: '',
            message: `invalid TOML at line ${error.line}, column ${error.column}: ${(error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '')}`,
            line: error.line,
            column: error.column,
          },
        ],
        { cause: error, excerpt: error.codeblock },
      );
    throw error;
  }
  const issues = new IssueList();
  const raw = validate(schema, document, [], issues);
  if (raw !== undefined) {
    const interval = raw.interval ?? 10;
    const lifetime = raw.ad_lifetime ?? interval * 3;
    if (lifetime < interval * 2)
      issues.add(
        ['ad_lifetime'],
        `must be at least twice the interval (${interval} s), or one late ad expires the director`,
      );
    for (const [name, site] of Object.entries(raw.sites ?? {}))
      if ((site.lat === undefined) !== (site.lon === undefined))
        issues.add(
          ['sites', name, site.lat === undefined ? 'lat' : 'lon'],
          'is required with the other coordinate',
        );
  }
  if (raw === undefined || issues.count > 0)
    throw new ConfigError('CONFIG_INVALID', source, issues.items);
  const listen = parseHostPort(raw.listen ?? DEFAULT_DIRECTOR_LISTEN)!;
  const interval = raw.interval ?? 10;
  return {
    source,
    name: raw.name,
    listen,
    advertiseUrl:
      raw.advertise_url ??
      `${raw.tls === undefined ? 'http' : 'https'}://${joinHostPort(listen.host, listen.port)}`,
    keyFile: raw.key_file,
    trustedKeys: raw.trusted_keys,
    peers: raw.peers ?? [],
    ...(raw.discovery_url === undefined ? {} : { discoveryUrl: raw.discovery_url }),
    discoverPeers: raw.discover_peers ?? true,
    intervalMs: interval * 1000,
    adLifetimeMs: (raw.ad_lifetime ?? interval * 3) * 1000,
    timeoutMs: (raw.timeout ?? 2) * 1000,
    maxAds: raw.max_ads ?? 100_000,
    clockSkewMs: Math.round((raw.clock_skew ?? SIGNED_SKEW_ALLOWANCE_MS / 1000) * 1000),
    services: Object.fromEntries(
      Object.entries(raw.services ?? {}).map(([name, s]) => [
        name,
        s.anycast_url === undefined ? {} : { anycastUrl: s.anycast_url },
      ]),
    ),
    sites: Object.entries(raw.sites ?? {}).map(([name, s]) => ({
      name,
      subnets: s.subnets,
      ...(s.lat === undefined ? {} : { lat: s.lat }),
      ...(s.lon === undefined ? {} : { lon: s.lon }),
    })),
    logLevel: raw.log?.level ?? 'info',
    ...(raw.tls === undefined
      ? {}
      : {
          tls: {
            certFile: raw.tls.cert_file,
            keyFile: raw.tls.key_file,
            ...(raw.tls.ca_file === undefined ? {} : { caFile: raw.tls.ca_file }),
            ...(raw.tls.client_ca_file === undefined
              ? {}
              : { clientCaFile: raw.tls.client_ca_file }),
          },
        }),
  };
}

/** Reads and parses the file; over the size cap (1 MiB) it is refused unread (CONFIG_TOO_LARGE). */
export async function loadDirectorConfig(path: string): Promise<DirectorConfig> {
  return parseDirectorConfig(await readConfigFile(path), path);
}
