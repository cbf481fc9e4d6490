/**
 * Test certificates made with `openssl` (in .ci/run's apt list): a CA, certificates
 * it signs for 127.0.0.1 (servers) or for a name (clients), P-256 keys.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export class TestCa {
  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly files: CertFiles,
  ) {}

  /** The CA certificate (what clients or servers verify with). */
  get caFile(): string {
    return this.files.cert;
  }

  static async create(dir: string, name: string): Promise<TestCa> {
    const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      files.key,
      '-out',
      files.cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
    return new TestCa(dir, name, files);
  }

  /** A certificate this CA signs: for IP 127.0.0.1 (a server) and named `cn`. */
  async issue(cn: string): Promise<CertFiles> {
    const id = randomUUID().slice(0, 8);
    const base = join(this.dir, `${this.name}-${cn}-${id}`);
    const files = { cert: `${base}.pem`, key: `${base}.key` };
    await run('openssl', [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      files.key,
      '-out',
      `${base}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]);
    await writeFile(`${base}.ext`, 'subjectAltName=IP:127.0.0.1\n');
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      this.files.cert,
      '-CAkey',
      this.files.key,
      '-set_serial',
      `0x${id}`,
      '-out',
      files.cert,
      '-days',
      '2',
      '-extfile',
      `${base}.ext`,
    ]);
    return files;
  }
}
