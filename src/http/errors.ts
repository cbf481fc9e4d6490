/** An answer other than 200 that a handler throws: its status, JSON fields and headers. */
export class HttpError extends Error {
  readonly kind = 'http.request_refused';
  constructor(
    readonly status: number,
    message: string,
    /** More fields for the JSON error body, beside "error". */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
