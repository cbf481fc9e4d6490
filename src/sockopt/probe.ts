/**
 * Can this process set TCP-MD5 keys and TTL options at all? Asked once at start by
 * whoever needs them, so a missing facility is a clear error then, never a session
 * that quietly runs without its signature.
 */
import { AF_INET, SOCK_CLOEXEC, SOCK_STREAM } from './constants.js';
import { libc, SockoptCallError, SockoptUnavailableError } from './libc.js';
import { setMd5Key, setMinTtl } from './socket-options.js';

export type SockoptSupport =
  { readonly ok: true } | { readonly ok: false; readonly reason: string };

let cached: SockoptSupport | undefined;

/** Tries each option once on a throwaway socket; the answer is kept. */
export function sockoptSupport(): SockoptSupport {
  cached ??= probe();
  return cached;
}

function probe(): SockoptSupport {
  const c = libc();
  if (c instanceof SockoptUnavailableError) return { ok: false, reason: c.message };
  const fd = c.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return { ok: false, reason: new SockoptCallError('socket()', c.errno()).message };
  try {
    setMd5Key(fd, 4, '127.0.0.1', Buffer.from('probe'));
    setMinTtl(fd, 4, 255);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    c.close(fd);
  }
}
