/**
 * tls: a TLS handshake with host:port (or an https URL's), then a look at the
 * certificate the server presented.
 *
 * - `verify_chain` (default true): the chain must verify against the system
 *   roots or `ca_file` (RFC 5280 path validation, done by OpenSSL). Only the
 *   chain: the name is what `expect_san` checks.
 * - `expect_san`: a host name (or IP) the certificate must cover, matched
 *   against its subjectAltName entries only, never the subject CN (RFC 6125
 *   section 6.4.4). A wildcard covers exactly one whole left-most label
 *   (section 6.4.3): "*.example.org" covers "a.example.org", not
 *   "a.b.example.org" nor "example.org"; partial wildcards ("a*.example.org")
 *   match nothing. Matching is OpenSSL's X509_check_host with those flags.
 * - An expired or not-yet-valid certificate always fails; `min_days_valid`
 *   (default 0) asks for that many days left.
 * - `server_name` is sent as SNI; by default the host when it is a name.
 *
 * Every problem found is reported, joined with "; ".
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { absolutePath, host, port, serverName, url, urlHost } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import {
  elapsedMs,
  fail,
  formatMs,
  formatNumber,
  joinHostPort,
  monotonicNow,
  onAbort,
  pass,
} from './util.js';
import { errorReason } from '../util/index.js';

export interface TlsSpec {
  readonly host: string;
  readonly port: number;
  readonly server_name?: string;
  readonly expect_san?: string;
  readonly min_days_valid: number;
  readonly verify_chain: boolean;
  readonly ca_file?: string;
}

export interface TlsOptions {
  /** Wall clock for certificate validity, ms since the epoch. Default Date.now. */
  readonly now?: () => number;
}

export const tlsSchema = z
  .strictObject({
    host: host.optional(),
    port: port.optional(),
    url: url(['https']).optional(),
    server_name: serverName.optional(),
    expect_san: z
      .string({ error: 'expect_san must be a string' })
      .min(1, { error: 'expect_san must not be empty' })
      .optional(),
    min_days_valid: z
      .number({ error: 'min_days_valid must be a number of days' })
      .min(0, { error: 'min_days_valid must not be negative' })
      .default(0),
    verify_chain: z.boolean({ error: 'verify_chain must be true or false' }).default(true),
    ca_file: absolutePath('ca_file').optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.url !== undefined && (spec.host !== undefined || spec.port !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'give either url or host and port, not both',
      });
    }
    if (spec.url === undefined && spec.host === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'tls check needs host (and port) or url' });
    }
    if (spec.ca_file !== undefined && !spec.verify_chain) {
      ctx.addIssue({
        code: 'custom',
        path: ['ca_file'],
        message: 'ca_file has no effect with verify_chain = false; remove one of them',
      });
    }
  })
  .transform((spec): TlsSpec => {
    const { url: text, host: givenHost, port: givenPort, ...rest } = spec;
    if (text !== undefined) {
      const parsed = new URL(text);
      return {
        ...rest,
        host: urlHost(parsed),
        port: parsed.port === '' ? 443 : Number(parsed.port),
      };
    }
    return { ...rest, host: givenHost ?? '', port: givenPort ?? 443 };
  });

const dayMs = 86_400_000;

function days(count: number): string {
  const text = formatNumber(count, 1);
  return `${text} ${text === '1' ? 'day' : 'days'}`;
}

export function createTlsCheck(
  spec: TlsSpec,
  common: CheckCommon,
  options: TlsOptions = {},
): HealthCheck {
  const now = options.now ?? Date.now;
  const target = joinHostPort(spec.host, spec.port);
  const sni = spec.server_name ?? (net.isIP(spec.host) === 0 ? spec.host : undefined);
  return {
    ...common,
    type: 'tls',
    async run(signal: AbortSignal): Promise<CheckResult> {
      const start = monotonicNow();
      let ca: Buffer | undefined;
      if (spec.ca_file !== undefined) {
        try {
          ca = await readFile(spec.ca_file);
        } catch (error) {
          return fail(`cannot read ca_file: ${errorReason(error)}`, elapsedMs(start), error);
        }
      }
      let handshake: Handshake;
      try {
        handshake = await connect(spec, sni, ca, signal);
      } catch (error) {
        return fail(`${target}: ${errorReason(error)}`, elapsedMs(start), error);
      }
      const duration = elapsedMs(start);
      const { cert } = handshake;
      const problems: string[] = [];
      const notes: string[] = [];

      if (spec.verify_chain) {
        if (handshake.authorized) notes.push('chain verified');
        else problems.push(`chain does not verify: ${handshake.authorizationError}`);
      }

      const validFrom = Date.parse(cert.validFrom);
      const validTo = Date.parse(cert.validTo);
      const at = now();
      const daysLeft = (validTo - at) / dayMs;
      if (at < validFrom) {
        problems.push(`certificate not valid before ${cert.validFrom}`);
      } else if (daysLeft < 0) {
        problems.push(`certificate expired ${days(-daysLeft)} ago (${cert.validTo})`);
      } else if (daysLeft < spec.min_days_valid) {
        problems.push(
          `certificate expires in ${days(daysLeft)} (${cert.validTo}), fewer than min_days_valid ${spec.min_days_valid}`,
        );
      } else {
        notes.push(`${days(daysLeft)} left`);
      }

      if (spec.expect_san !== undefined) {
        if (coversName(cert, spec.expect_san)) {
          notes.push(`covers ${spec.expect_san}`);
        } else {
          problems.push(
            `certificate does not cover ${spec.expect_san} (subjectAltName: ${cert.subjectAltName ?? 'none'})`,
          );
        }
      }

      if (problems.length > 0) return fail(`${target}: ${problems.join('; ')}`, duration);
      return pass(`${target}: ${notes.join(', ')} (handshake ${formatMs(duration)})`, duration);
    },
  };
}

/** RFC 6125 matching of a DNS name or IP address against the certificate's SANs. */
export function coversName(cert: X509Certificate, name: string): boolean {
  if (net.isIP(name) !== 0) return cert.checkIP(name) !== undefined;
  return (
    cert.checkHost(name, {
      subject: 'never',
      wildcards: true,
      partialWildcards: false,
      multiLabelWildcards: false,
      singleLabelSubdomains: false,
    }) !== undefined
  );
}

/** OpenSSL's words for the verification codes Node reports (X509_verify_cert_error_string). */
const verifyErrors: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CERT_REVOKED: 'certificate revoked',
  CERT_UNTRUSTED: 'certificate not trusted',
  INVALID_CA: 'invalid CA certificate',
  INVALID_PURPOSE: 'unsupported certificate purpose',
};

function describeVerifyError(code: string): string {
  if (code === '') return 'unknown verification error';
  const words = verifyErrors[code];
  return words === undefined ? code : `${words} (${code})`;
}

interface Handshake {
  readonly cert: X509Certificate;
  readonly authorized: boolean;
  readonly authorizationError: string;
}

function connect(
  spec: TlsSpec,
  sni: string | undefined,
  ca: Buffer | undefined,
  signal: AbortSignal,
): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: spec.host,
      port: spec.port,
      ...(sni === undefined ? {} : { servername: sni }),
      ...(ca === undefined ? {} : { ca }),
      // Chain errors are read from socket.authorized; the name is checked separately.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    let done = false;
    let detach = (): void => undefined;
    const finish = (error: Error | undefined, value?: Handshake): void => {
      if (done) return;
      done = true;
      detach();
      socket.destroy();
      if (error !== undefined) reject(error);
      else if (value !== undefined) resolve(value);
    };
    detach = onAbort(signal, () => finish(new Error('aborted')));
    socket.on('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      if (cert === undefined) {
        finish(new Error('the server presented no certificate'));
        return;
      }
      const error = socket.authorizationError as Error | string | null | undefined;
      finish(undefined, {
        cert,
        authorized: socket.authorized,
        authorizationError:
          error instanceof Error ? errorReason(error) : describeVerifyError(String(error ?? '')),
      });
    });
    socket.on('error', (error: Error) => finish(error));
    socket.on('close', () => finish(new Error('connection closed during the handshake')));
  });
}

export const tlsCheck: CheckType<TlsSpec> = {
  type: 'tls',
  schema: tlsSchema,
  defaultName: (spec) => `tls ${joinHostPort(spec.host, spec.port)}`,
  create: (spec, common) => createTlsCheck(spec, common),
};
