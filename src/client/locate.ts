/**
 * The locate client: which URL should I use for SERVICE?
 *
 * 1. Read the federation discovery document (every director's URL and each
 *    service's anycast URL), if one is given; directors given directly are tried too.
 * 2. Ask the directors in turn, each with a short timeout; the first that answers
 *    with at least one node gives the ranked healthy nodes (best first). A 503 (a
 *    director still catching up after a restart), an empty list and a timeout are
 *    treated alike: the next director is asked.
 * 3. With no director reachable, the anycast URL: the network still routes it to a
 *    healthy node, because announcing never depends on the directors.
 *
 * `preferAnycast` puts the anycast URL first (Pelican's Client.PreferAnycast).
 */
import {
  errorText,
  requestJson,
  type ClientTls,
  type JsonResponse,
  type RankedNode,
} from '../director/index.js';
import { errorMessage } from '../util/index.js';

export interface LocateOptions {
  /** The federation discovery document (…/.well-known/anycast-guard). */
  readonly discovery?: string;
  /** Directors to ask, tried after (or instead of) the discovery document's. */
  readonly directors?: readonly string[];
  /** The anycast URL when the discovery document is out of reach too. */
  readonly anycast?: string;
  readonly preferAnycast?: boolean;
  /** Per request (default 1000 ms). */
  readonly timeoutMs?: number;
  /** The client address to rank for (default: the address the director sees). */
  readonly client?: string;
  readonly get?: (url: string, timeoutMs: number) => Promise<JsonResponse>;
  /** For https:// URLs: a CA instead of the system store, a client certificate. */
  readonly tls?: ClientTls;
}

/** A node as a director ranks it (GET /v1/locate/{service}). */
export type LocatedNode = RankedNode;

export interface LocateResult {
  readonly service: string;
  /** Where the answer came from: a director, or the anycast fallback. */
  readonly source: 'director' | 'anycast';
  /** The director that answered. */
  readonly director?: string;
  /** Every URL to try, best first. */
  readonly urls: readonly string[];
  readonly nodes: readonly LocatedNode[];
  readonly anycast?: string;
  /** Directors that did not answer, and why. */
  readonly tried: readonly { readonly url: string; readonly error: string }[];
}

export class LocateError extends Error {
  readonly code = 'LOCATE';
  readonly kind = 'client.locate_failed';
  constructor(
    message: string,
    readonly tried: LocateResult['tried'],
  ) {
    super(message);
    this.name = 'LocateError';
  }
}

export async function locate(service: string, options: LocateOptions): Promise<LocateResult> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const get =
    options.get ??
    ((url: string, timeout: number) =>
      requestJson(url, {
        timeoutMs: timeout,
        maxBytes: 4 << 20,
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      }));
  const tried: { url: string; error: string }[] = [];
  const directors: string[] = [];
  let anycast = options.anycast;
  if (options.discovery !== undefined) {
    try {
      const response = await get(options.discovery, timeoutMs);
      if (response.status !== 200) throw new Error(errorText(response));
      const doc = response.body as {
        directors?: unknown;
        services?: Record<string, { anycast_url?: unknown } | undefined>;
      };
      if (Array.isArray(doc.directors))
        for (const url of doc.directors) if (typeof url === 'string') directors.push(url);
      const fromDoc = doc.services?.[service]?.anycast_url;
      if (typeof fromDoc === 'string') anycast = fromDoc;
    } catch (error) {
      tried.push({ url: options.discovery, error: errorMessage(error) });
    }
  }
  for (const url of options.directors ?? []) if (!directors.includes(url)) directors.push(url);

  for (const director of directors) {
    const url = new URL(`/v1/locate/${encodeURIComponent(service)}`, director);
    if (options.client !== undefined) url.searchParams.set('client', options.client);
    try {
      const response = await get(url.toString(), timeoutMs);
      if (response.status !== 200) throw new Error(errorText(response));
      const body = response.body as { nodes?: unknown; anycast?: unknown };
      if (!Array.isArray(body.nodes)) throw new Error('the answer has no "nodes" list');
      const nodes = (body.nodes as LocatedNode[]).filter((n) => typeof n?.url === 'string');
      if (typeof body.anycast === 'string') anycast = body.anycast;
      // An empty answer may be a director that lost its table: another may know better.
      if (nodes.length === 0) throw new Error(`no node is up for ${service} there`);
      const nodeUrls = nodes.map((n) => n.url);
      const urls =
        anycast === undefined
          ? nodeUrls
          : options.preferAnycast === true
            ? [anycast, ...nodeUrls]
            : [...nodeUrls, anycast];
      return {
        service,
        source: 'director',
        director,
        urls,
        nodes,
        ...(anycast === undefined ? {} : { anycast }),
        tried,
      };
    } catch (error) {
      tried.push({ url: director, error: errorMessage(error) });
    }
  }
  if (anycast === undefined)
    throw new LocateError(
      directors.length === 0
        ? tried.length > 0
          ? `no director to ask for ${service}: ${tried.map((t) => `cannot read the discovery document ${t.url}: ${t.error}`).join('; ')}; and no anycast URL is known (--anycast)`
          : `no director to ask for ${service} and no anycast URL: give --discovery, --director or --anycast`
        : `no director answered for ${service} with a node (${tried.map((t) => `${t.url}: ${t.error}`).join('; ')}) and no anycast URL is known`,
      tried,
    );
  return { service, source: 'anycast', urls: [anycast], nodes: [], anycast, tried };
}
