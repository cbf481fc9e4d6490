/**
 * Error → text, written once. Anything can be thrown (an Error, a string, a rejected
 * non-Error), so every place that shows a caught value to an operator goes through here.
 */

/** The message of anything thrown: an Error's message, otherwise its string form. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The errno-style string `code` of a thrown value ("ENOENT"), when it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The message made to stand alone in a check's reason: OpenSSL's short reason instead
 * of its multi-line text, the error's name when the message is empty, and the error
 * code appended when the message lacks it.
 */
export function errorReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = errorCode(error);
  // OpenSSL errors carry a multi-line "…:error:0A00010B:SSL routines:…" message and a short reason.
  const reason = (error as { reason?: unknown }).reason;
  const message =
    typeof reason === 'string' && error.message.includes('routines:')
      ? reason
      : error.message === ''
        ? error.name
        : error.message;
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}
