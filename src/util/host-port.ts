/**
 * "HOST:PORT" both ways, with the brackets RFC 3986 section 3.2.2 puts around an IPv6
 * literal ("[::1]:9180"), so the text works in a URL, a log line or a config file.
 */
import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** "host:port", with brackets around IPv6 addresses. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * "IP:PORT" or "[IPv6]:PORT" with an IP address (no names) and a port up to 65535;
 * undefined for anything else. An IPv6 address must be bracketed, an IPv4 one must not.
 */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  const family = isIP(host);
  if (family === 0 || (family === 6) !== (match[1] !== undefined) || port > 65535) return undefined;
  return { host, port };
}
