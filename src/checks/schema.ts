/**
 * zod pieces shared by the check schemas. Messages are written for operators:
 * the config layer prints them as "file: key.path: message".
 */
import { isAbsolute } from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';

export const port = z
  .number({ error: 'port must be a number' })
  .int({ error: 'port must be a whole number' })
  .min(1, { error: 'port must be between 1 and 65535' })
  .max(65535, { error: 'port must be between 1 and 65535' });

const hostnamePattern =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

export function isHostname(text: string): boolean {
  return hostnamePattern.test(text);
}

/** An IP address or a DNS name, without brackets or port. */
export const host = z
  .string({ error: 'host must be a string' })
  .refine((text) => isIP(text) !== 0 || isHostname(text), {
    error: 'host must be an IP address or a host name (no port, no brackets)',
  });

export const serverName = z
  .string({ error: 'server_name must be a string' })
  .refine((text) => isHostname(text) && isIP(text) === 0, {
    error: 'server_name must be a DNS name (TLS SNI does not carry IP addresses)',
  });

export function url(protocols: readonly string[], key = 'url') {
  const list = protocols.map((p) => `${p}://`).join(' or ');
  return z.string({ error: `${key} must be a string` }).refine(
    (text) => {
      try {
        const parsed = new URL(text);
        return protocols.includes(parsed.protocol.slice(0, -1)) && parsed.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: `${key} must be an absolute ${list} URL` },
  );
}

export const absolutePath = (key: string) =>
  z
    .string({ error: `${key} must be a string` })
    .min(1, { error: `${key} must not be empty` })
    .refine((text) => isAbsolute(text), { error: `${key} must be an absolute path` });

export const stringMap = (key: string) =>
  z.record(z.string(), z.string({ error: `${key} values must be strings` }), {
    error: `${key} must be a table of strings`,
  });

export const percent = (key: string) =>
  z
    .number({ error: `${key} must be a number` })
    .min(0, { error: `${key} must be between 0 and 100` })
    .max(100, { error: `${key} must be between 0 and 100` });

/** Host name of a URL without the brackets URL keeps around IPv6 literals. */
export function urlHost(parsed: URL): string {
  const name = parsed.hostname;
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
}
