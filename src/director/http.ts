/**
 * Small JSON-over-HTTP client for directors, nodes and the locate client: one
 * request, a timeout, a bounded answer, and errors that name the URL and the reason.
 * Uses Node's fetch, which keeps connections to a director alive between requests.
 */
import { DirectorError } from './errors.js';

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  readonly timeoutMs: number;
  /** Largest answer accepted (default 16 MiB). */
  readonly maxBytes?: number;
}

export async function requestJson(url: string, options: RequestOptions): Promise<JsonResponse> {
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  let response: Response;
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal,
    });
  } catch (error) {
    throw new DirectorError(
      'DIRECTOR_UNREACHABLE',
      `${url}: ${reasonOf(error, options.timeoutMs)}`,
      {
        cause: error,
      },
    );
  }
  let text: string;
  try {
    text = await readBounded(response, maxBytes, url);
  } catch (error) {
    if (error instanceof DirectorError) throw error;
    throw new DirectorError(
      'DIRECTOR_UNREACHABLE',
      `${url}: ${reasonOf(error, options.timeoutMs)}`,
      {
        cause: error,
      },
    );
  }
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: the text is kept for the message.
  }
  return { status: response.status, body };
}

/** The "error" of a JSON error answer, or "HTTP 503". */
export function errorText(response: JsonResponse): string {
  const body = response.body;
  if (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { error?: unknown }).error === 'string'
  )
    return `HTTP ${response.status}: ${(body as { error: string }).error}`;
  return `HTTP ${response.status}`;
}

async function readBounded(response: Response, maxBytes: number, url: string): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream.
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes)
      throw new DirectorError(
        'DIRECTOR_UNREACHABLE',
        `${url}: the answer is larger than ${maxBytes} bytes`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reasonOf(error: unknown, timeoutMs: number): string {
  const e = error as {
    name?: string;
    cause?: { code?: string; message?: string };
    message?: string;
  };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `no answer within ${timeoutMs} ms`;
  if (e.cause?.code === 'ECONNREFUSED') return 'connection refused (is the director running?)';
  if (e.cause?.code !== undefined) return `${e.cause.code}: ${e.cause.message ?? ''}`.trim();
  return e.message ?? String(error);
}
