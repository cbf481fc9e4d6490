// A bad file costs little: over the size cap it is refused unread; at most 50 problems
// are listed; long values are cut; "did you mean" never compares long words.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from '../../../src/config/index.js';
import { loadDirectorConfig } from '../../../src/director/config.js';
import {
  closest,
  editDistance,
  IssueList,
  MAX_CONFIG_BYTES,
} from '../../../src/validation/index.js';
import { BGP, SERVICE, testCheckTypes } from './support.js';

function refusal(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('accepted');
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anycast-guard-bounds-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('the size cap', () => {
  it('refuses a file over 1 MiB unread, by name, with its size and the cap', async () => {
    const path = join(dir, 'big.toml');
    await writeFile(path, `${BGP}${SERVICE}\n[log]\nlevel = "${'x'.repeat(5 * 1024 * 1024)}"\n`);
    await assert.rejects(loadConfig(path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'CONFIG_TOO_LARGE');
      assert.match(
        error.message,
        new RegExp(
          `^${path}: the file is 5 MiB \\(\\d+ bytes\\), larger than the cap of 1 MiB \\(1048576 bytes\\); it was not read$`,
        ),
      );
      return true;
    });
  });

  it('takes a file at the cap, and a raised cap', async () => {
    const path = join(dir, 'padded.toml');
    const text = `${BGP}${SERVICE}`;
    await writeFile(path, text + '#'.repeat(MAX_CONFIG_BYTES - Buffer.byteLength(text)));
    assert.equal((await loadConfig(path)).services.length, 1);
    await writeFile(path, text + '#'.repeat(MAX_CONFIG_BYTES));
    await assert.rejects(loadConfig(path), /larger than the cap/);
    assert.equal((await loadConfig(path, { maxBytes: 4 * MAX_CONFIG_BYTES })).services.length, 1);
  });

  it('refuses text over the cap, and a director file over it', async () => {
    const text = `${BGP}${SERVICE}#${'é'.repeat(MAX_CONFIG_BYTES / 2)}`;
    assert.equal(refusal(() => parseConfig(text, 'mem.toml')).code, 'CONFIG_TOO_LARGE');
    const path = join(dir, 'director.toml');
    await writeFile(path, `name = "d1"\n#${'x'.repeat(2 * MAX_CONFIG_BYTES)}\n`);
    await assert.rejects(loadDirectorConfig(path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'CONFIG_TOO_LARGE');
      assert.match(error.message, /the file is 2 MiB .*cap of 1 MiB/);
      return true;
    });
  });

  it('reads a pipe-like file only up to the cap', async () => {
    // /dev/zero has no size: it is read up to the cap and refused, not read forever.
    await assert.rejects(loadConfig('/dev/zero'), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'CONFIG_TOO_LARGE');
      assert.match(error.message, /^\/dev\/zero: the file is larger than the cap of 1 MiB/);
      return true;
    });
  });
});

describe('bounded reports', () => {
  const options = { checkTypes: testCheckTypes, maxBytes: 16 * MAX_CONFIG_BYTES };

  it('a 5 MB value is refused with the value cut, and no suggestion is sought', () => {
    const value = 'x'.repeat(5 * 1024 * 1024);
    const error = refusal(() =>
      parseConfig(`${BGP}${SERVICE}\n[log]\nlevel = "${value}"\n`, 'big.toml', options),
    );
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.issues.length, 1);
    const [issue] = error.issues;
    assert.equal(issue!.path, 'log.level');
    assert.match(issue!.message, /^must be "trace", .*, got "x{64}"… \(5242880 characters\)$/);
    assert.ok(error.message.length < 300, `${error.message.length} characters`);
  });

  it('a long unknown key is cut in its path', () => {
    const key = 'k'.repeat(100_000);
    const error = refusal(() => parseConfig(`${BGP}${SERVICE}${key} = 1\n`, 'x.toml', options));
    assert.deepEqual(
      error.issues.map((i) => [i.path, i.message]),
      [[`services.dns."${'k'.repeat(64)}"… (100000 characters)`, 'unknown key']],
    );
  });

  it('100,000 unknown keys give 50 problems and one line counting the rest', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `k${i} = 1`).join('\n');
    const error = refusal(() => parseConfig(`${keys}\n${BGP}${SERVICE}`, 'keys.toml', options));
    assert.equal(error.issues.length, 51);
    assert.deepEqual(error.issues[0], { path: 'k0', message: 'unknown key' });
    assert.deepEqual(error.issues[49], { path: 'k49', message: 'unknown key' });
    assert.deepEqual(error.issues[50], { path: '', message: 'and 99950 more problems' });
    assert.equal(error.message.split('\n').length, 51);
    assert.equal(error.message.split('\n')[50], 'keys.toml: and 99950 more problems');
  });

  it('IssueList counts past its limit without keeping them, and still drops repeats', () => {
    const issues = new IssueList(2);
    issues.add(['a'], 'x');
    issues.add(['a'], 'x');
    issues.add(['b'], 'y');
    issues.add(['c'], 'z');
    assert.equal(issues.count, 3);
    assert.deepEqual(issues.items, [
      { path: 'a', message: 'x' },
      { path: 'b', message: 'y' },
      { path: '', message: 'and 1 more problem' },
    ]);
  });
});

describe('bounded suggestions', () => {
  it('editDistance stops past its limit', () => {
    assert.equal(editDistance('kitten', 'sitting', 1), 2);
    assert.equal(editDistance('kitten', 'sitting', 3), 3);
    assert.equal(editDistance('a'.repeat(1_000_000), 'info', 2), 3, 'by the lengths alone');
    // Equal lengths, all different: the first row is past the limit, so one row is computed.
    assert.equal(editDistance('a'.repeat(100_000), 'b'.repeat(100_000), 0), 1);
  });

  it('closest gives no suggestion for a long word, a long candidate or a long list', () => {
    assert.equal(closest(`${'w'.repeat(70)}`, ['w'.repeat(69)]), undefined);
    assert.equal(closest('info', ['x'.repeat(65)]), undefined);
    const many = Array.from({ length: 300 }, (_, i) => `key${i}`);
    assert.equal(closest('key1', many.slice(0, 256).concat('key')), undefined);
    assert.equal(closest('kye1', many.slice(0, 255)), 'key1');
  });
});
