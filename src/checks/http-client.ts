/**
 * One HTTP(S) exchange for the http, cabourotte and nginx checks, on node:http
 * and node:https. Every request opens a fresh connection (no keep-alive agent),
 * so a check sees what a new client would; redirects are followed only when
 * asked, up to a fixed number of hops.
 */
import http from 'node:http';
import https from 'node:https';
import { HeadBuffer } from './util.js';
import { urlHost } from './schema.js';

export interface HttpRequest {
  readonly url: URL;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** Response bytes kept; the rest is discarded and `truncated` set. */
  readonly maxBodyBytes?: number;
  /** Hops to follow; 0 (default) follows none. */
  readonly maxRedirects?: number;
  readonly tls?: {
    readonly ca?: string | Buffer;
    readonly rejectUnauthorized?: boolean;
    readonly servername?: string;
  };
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly truncated: boolean;
  /** The URL that gave this response (after redirects). */
  readonly url: URL;
  readonly redirects: number;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

export async function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  let url = request.url;
  let method = request.method ?? 'GET';
  const maxRedirects = request.maxRedirects ?? 0;
  for (let hops = 0; ; hops++) {
    const response = await exchange(request, url, method);
    const location = response.headers.location;
    if (hops >= maxRedirects || !redirectStatuses.has(response.status) || location === undefined) {
      return { ...response, redirects: hops };
    }
    url = new URL(location, url);
    // RFC 9110 section 15.4.4: a 303 is retrieved with GET.
    if (response.status === 303 && method !== 'HEAD') method = 'GET';
  }
}

function exchange(
  request: HttpRequest,
  url: URL,
  method: string,
): Promise<Omit<HttpResponse, 'redirects'>> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      protocol: url.protocol,
      host: urlHost(url),
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method,
      headers: { 'user-agent': 'anycast-guard', ...request.headers },
      agent: false,
      signal: request.signal,
    };
    if (url.username !== '' || url.password !== '') {
      options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    }
    if (secure) {
      const tls = request.tls ?? {};
      if (tls.ca !== undefined) options.ca = tls.ca;
      options.rejectUnauthorized = tls.rejectUnauthorized ?? true;
      if (tls.servername !== undefined) options.servername = tls.servername;
    }
    const limit = request.maxBodyBytes ?? 1024 * 1024;
    const onResponse = (res: http.IncomingMessage): void => {
      const body = new HeadBuffer(limit);
      res.on('data', (chunk: Buffer) => {
        if (!body.push(chunk)) res.destroy();
      });
      const done = (): void =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: body.bytes(),
          truncated: body.truncated,
          url,
        });
      res.on('end', done);
      res.on('close', () => {
        if (body.truncated) done();
        else if (!res.complete) reject(new Error('connection closed before the response ended'));
      });
      res.on('error', (error) => {
        if (!body.truncated) reject(error);
      });
    };
    const req = secure ? https.request(options, onResponse) : http.request(options, onResponse);
    req.on('error', reject);
    req.end();
  });
}
