/** The `keys`, `director` and `locate` commands as a user runs them. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parsePrivateKey, parseTrustedKeys, publicKeyText } from '../../../src/director/keys.js';
import { requestJson } from '../../../src/director/http.js';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';
import { CLI, Fleet, getJson } from './fleet.js';

const run = promisify(execFile);

async function fails(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [CLI, ...args]);
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error(`anycast-guard ${args.join(' ')} succeeded`);
}

describe('anycast-guard keys', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-keys-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('generates a 0600 key and prints its trusted keys line; never overwrites', async () => {
    const path = join(dir, 'edge-1.key');
    const { stdout } = await run(process.execPath, [
      CLI,
      'keys',
      'generate',
      '--role',
      'node',
      '--origin',
      'edge-1',
      '--out',
      path,
    ]);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const key = parsePrivateKey(await readFile(path, 'utf8'), path);
    assert.equal(stdout, `node edge-1 ed25519 ${publicKeyText(key)}\n`);
    assert.equal(parseTrustedKeys(stdout, 'out').keysFor('node', 'edge-1').length, 1);
    const again = await fails([
      'keys',
      'generate',
      '--role',
      'node',
      '--origin',
      'edge-1',
      '--out',
      path,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /edge-1\.key exists: not overwriting a key/);
    const { stdout: line } = await run(process.execPath, [
      CLI,
      'keys',
      'public',
      '--role',
      'director',
      '--origin',
      'dir-a',
      '--key',
      path,
    ]);
    assert.equal(line, `director dir-a ed25519 ${publicKeyText(key)}\n`);
    const bad = await fails([
      'keys',
      'generate',
      '--role',
      'router',
      '--origin',
      'x',
      '--out',
      join(dir, 'x'),
    ]);
    assert.match(bad.stderr, /--role must be "node" or "director", got "router"/);
  });
});

describe('anycast-guard director', () => {
  let fleet: Fleet;
  before(async () => {
    fleet = await Fleet.create('director-cli');
    await fleet.makeKeys(['d1'], []);
    await fleet.defineDirectors(() => [{ name: 'd1', peers: [] }], 1);
  });
  after(() => fleet.close());

  it('refuses a bad configuration, naming the file and key', async () => {
    const path = join(fleet.dir, 'bad.toml');
    await writeFile(
      path,
      'name = "d1"\nkey_file = "/nonexistent.key"\ntrusted_keys = "relative"\nlisten = "nowhere"\n',
    );
    const result = await fails(['director', '--config', path]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /bad\.toml: trusted_keys: must be an absolute path/);
    assert.match(result.stderr, /bad\.toml: listen: must be "HOST:PORT"/);
    await writeFile(
      path,
      'name = "d1"\nkey_file = "/nonexistent.key"\ntrusted_keys = "/nonexistent"\n',
    );
    const missing = await fails(['director', '--config', path]);
    assert.match(missing.stderr, /cannot read the key file \/nonexistent\.key: ENOENT/);
  });

  it('serves its API and exits 0 on SIGTERM', async () => {
    const director = fleet.directors[0]!;
    await director.start();
    // No peers: not ready until it has waited one interval (2 s) for the nodes' ads.
    const early = await requestJson(`${director.url}/healthz`, { timeoutMs: 5000 });
    assert.equal(early.status, 503);
    assert.deepEqual(
      [(early.body as { status: string }).status, (early.body as { ready: boolean }).ready],
      ['not-ready', false],
    );
    assert.match(early.headers?.['retry-after'] ?? '', /^[12]$/);
    const locating = await requestJson(`${director.url}/v1/locate/web`, { timeoutMs: 5000 });
    assert.equal(locating.status, 503);
    await eventually(() => loggedEvent(director.output, 'director.ready'), 'd1 ready', 10_000);
    const health = await getJson<{ status: string; name: string; ready: boolean }>(
      `${director.url}/healthz`,
    );
    assert.deepEqual([health.status, health.name, health.ready], ['ok', 'd1', true]);
    const doc = await getJson<{ directors: string[]; services: Record<string, unknown> }>(
      `${director.url}/.well-known/anycast-guard`,
    );
    assert.deepEqual(doc.directors, [director.url]);
    assert.deepEqual(doc.services, { web: { anycast_url: 'http://203.0.113.80/' } });
    const { stdout } = await run(process.execPath, [
      CLI,
      'locate',
      'web',
      '--director',
      director.url,
    ]);
    assert.equal(stdout, 'http://203.0.113.80/\n', 'no nodes yet: only the anycast URL');
    assert.equal(await director.kill('SIGTERM'), 0);
  });

  it('locate with nothing to offer exits 1 and says why', async () => {
    const result = await fails([
      'locate',
      'web',
      '--director',
      'http://127.0.0.1:1',
      '--timeout',
      '300',
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /no director answered for web with a node \(http:\/\/127\.0\.0\.1:1: .*\) and no anycast URL is known/,
    );
  });
});
