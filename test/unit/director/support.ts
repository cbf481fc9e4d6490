/** Shared pieces for the director unit tests: keys, signed ads, an in-memory network. */
import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { ManualClock } from '../../../src/clock/index.js';
import type { Envelope, NodeAd } from '../../../src/director/ad.js';
import { Director, type DirectorOptions } from '../../../src/director/director.js';
import type { JsonResponse } from '../../../src/director/http.js';
import {
  generateKey,
  parseTrustedKeys,
  signAd,
  trustedKeyLine,
  type TrustedKeys,
} from '../../../src/director/keys.js';
import type { LinkTransport } from '../../../src/director/link.js';

export const silent = pino({ level: 'silent' });

export class KeyRing {
  readonly keys = new Map<string, KeyObject>();
  private lines: string[] = [];

  key(role: 'node' | 'director', origin: string): KeyObject {
    const id = `${role}:${origin}`;
    let key = this.keys.get(id);
    if (key === undefined) {
      key = generateKey();
      this.keys.set(id, key);
      this.lines.push(trustedKeyLine(role, origin, key));
    }
    return key;
  }

  trusted(): TrustedKeys {
    return parseTrustedKeys(this.lines.join('\n'), 'test-keys');
  }
}

export interface NodeAdInput {
  readonly origin: string;
  readonly startTime?: number;
  readonly instance?: string;
  readonly generation?: number;
  readonly issuedAt: number;
  readonly lifetimeMs?: number;
  readonly services?: NodeAd['node']['services'];
  readonly site?: string;
  readonly load?: number;
}

export function nodeAd(input: NodeAdInput): NodeAd {
  return {
    v: 2,
    kind: 'node',
    origin: input.origin,
    startTime: input.startTime ?? input.issuedAt - 1000,
    instance: input.instance ?? randomUUID(),
    generation: input.generation ?? 1,
    issuedAt: input.issuedAt,
    expires: input.issuedAt + (input.lifetimeMs ?? 30_000),
    node: {
      url: `http://${input.origin}.example.test/`,
      ...(input.site === undefined ? {} : { site: input.site }),
      load: input.load ?? 0.1,
      services: input.services ?? [{ name: 'web', state: 'up', prefixes: ['203.0.113.80/32'] }],
    },
  };
}

/** An envelope as a node sends it: no path yet. */
export function envelope(ad: NodeAd, key: KeyObject, sentAt = ad.issuedAt): Envelope {
  return { ad, sig: signAd(ad, key), seenBy: [], sentAt, expiresAt: ad.expires };
}

/** Lets every timer due now fire and every promise settle, a few rounds over. */
export async function settle(clock: ManualClock, rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Directors wired to each other in memory: URLs are http://NAME.test, links can be cut. */
export class Network {
  readonly directors = new Map<string, Director>();
  readonly down = new Set<string>();
  /** Other host names that reach a director (alias → name). */
  readonly aliases = new Map<string, string>();
  /** Every delivery: `${from}->${to}` → ad keys (origin@instance#generation). */
  readonly deliveries = new Map<string, string[]>();

  constructor(
    readonly clock: ManualClock,
    readonly ring: KeyRing,
  ) {}

  url(name: string): string {
    return `http://${name}.test`;
  }

  private target(url: string): Director | undefined {
    const host = new URL(url).hostname.replace(/\.test$/, '');
    const name = this.aliases.get(host) ?? host;
    return this.down.has(name) ? undefined : this.directors.get(name);
  }

  transport(from: string): LinkTransport {
    return {
      send: (url, envelopes) => {
        const director = this.target(url);
        if (director === undefined)
          return Promise.resolve({ ok: false, permanent: false, error: 'connection refused' });
        const link = `${from}->${director.name}`;
        const list = this.deliveries.get(link) ?? [];
        for (const e of envelopes) list.push(`${e.ad.origin}@${e.ad.instance}#${e.ad.generation}`);
        this.deliveries.set(link, list);
        const wire = JSON.parse(JSON.stringify(envelopes)) as unknown[];
        return Promise.resolve({ ok: true, results: director.ingest(wire) });
      },
    };
  }

  get(url: string): Promise<JsonResponse> {
    const director = this.target(url);
    if (director === undefined) return Promise.reject(new Error('connection refused'));
    const path = new URL(url).pathname;
    const body =
      path === '/v1/directors'
        ? director.directors()
        : path === '/v1/ads'
          ? {
              ...director.page(
                undefined,
                Number(new URL(url).searchParams.get('offset') ?? 0),
                Number(new URL(url).searchParams.get('limit') ?? 2000),
              ),
              ready: director.readiness().ready,
            }
          : path === '/.well-known/anycast-guard'
            ? director.discovery()
            : undefined;
    return Promise.resolve({
      status: body === undefined ? 404 : 200,
      body: JSON.parse(JSON.stringify(body ?? { error: 'no such endpoint' })) as unknown,
    });
  }

  add(name: string, options: Partial<DirectorOptions> = {}): Director {
    const director = new Director({
      name,
      advertiseUrl: this.url(name),
      key: this.ring.key('director', name),
      trusted: this.ring.trusted(),
      clock: this.clock,
      log: silent,
      transport: this.transport(name),
      get: (url) => this.get(url),
      random: () => 0.5,
      ...options,
    });
    this.directors.set(name, director);
    return director;
  }
}
