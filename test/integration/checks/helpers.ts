/**
 * Test helpers for the check types: real servers on loopback, certificates made
 * with openssl at test time, and small utilities.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CheckCommon, CheckResult, HealthCheck } from '../../../src/checks/types.js';

const execFileAsync = promisify(execFile);

export function common(name = 'test', timeout = 5): CheckCommon {
  return { name, interval: 10, timeout };
}

/** One run with a signal that is never aborted. */
export function runOnce(check: HealthCheck): Promise<CheckResult> {
  return check.run(new AbortController().signal);
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `anycast-guard-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(
  server: http.Server | https.Server,
  host = '127.0.0.1',
): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function listenHttp(handler: http.RequestListener, host = '127.0.0.1'): Promise<Listening> {
  return listen(http.createServer(handler), host);
}

/** Polls `probe` every 10 ms until it returns something other than undefined/false. */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Certs {
  readonly dir: string;
  /** CA certificate (PEM file path). */
  readonly caFile: string;
  /** Leaf signed by the CA, 30 days; SANs: localhost, *.example.org, www.example.net, 127.0.0.1. */
  readonly leaf: { readonly key: Buffer; readonly cert: Buffer };
  /** Self-signed, already expired (notAfter a day before notBefore); SAN localhost. */
  readonly expired: { readonly key: Buffer; readonly cert: Buffer };
  /** Self-signed, valid, SAN localhost; signed by no CA the checks are told about. */
  readonly selfSigned: { readonly key: Buffer; readonly cert: Buffer };
  remove(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await execFileAsync('openssl', args, { cwd: dir });
}

/**
 * A CA, a leaf it signed, an expired certificate and a self-signed one, in a
 * fresh temp dir. The expired one uses `x509 -req -days -1`, which OpenSSL 3
 * accepts: notBefore is now and notAfter a day earlier, so it is expired at once.
 */
export async function makeCerts(): Promise<Certs> {
  const temp = await tempDir('certs');
  const dir = temp.path;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '30',
    '-subj',
    '/CN=anycast-guard test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(dir, [
    'req',
    '-new',
    ...ec,
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=leaf.test',
  ]);
  await writeFile(
    join(dir, 'leaf.ext'),
    'subjectAltName=DNS:localhost,DNS:*.example.org,DNS:www.example.net,IP:127.0.0.1\n' +
      'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    'leaf.ext',
    '-out',
    'leaf.pem',
  ]);
  await writeFile(join(dir, 'self.ext'), 'subjectAltName=DNS:localhost\n');
  await openssl(dir, [
    'req',
    '-new',
    ...ec,
    '-keyout',
    'expired.key',
    '-out',
    'expired.csr',
    '-subj',
    '/CN=expired.test',
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'expired.csr',
    '-key',
    'expired.key',
    '-days',
    '-1',
    '-extfile',
    'self.ext',
    '-out',
    'expired.pem',
  ]);
  await openssl(dir, [
    'req',
    '-new',
    ...ec,
    '-keyout',
    'self.key',
    '-out',
    'self.csr',
    '-subj',
    '/CN=self.test',
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'self.csr',
    '-key',
    'self.key',
    '-days',
    '30',
    '-extfile',
    'self.ext',
    '-out',
    'self.pem',
  ]);
  const pair = async (name: string) => ({
    key: await readFile(join(dir, `${name}.key`)),
    cert: await readFile(join(dir, `${name}.pem`)),
  });
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    leaf: await pair('leaf'),
    expired: await pair('expired'),
    selfSigned: await pair('self'),
    remove: () => temp.remove(),
  };
}

export function listenHttps(
  pair: { key: Buffer; cert: Buffer },
  handler: http.RequestListener,
): Promise<Listening> {
  return listen(https.createServer({ key: pair.key, cert: pair.cert }, handler));
}
