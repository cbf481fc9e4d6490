// `anycast-guard import anycast-healthchecker` as a child process: the sample configs in
// examples/anycast-healthchecker convert, and `anycast-guard check-config` accepts the result.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

function examples(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'examples', 'anycast-healthchecker'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('examples/anycast-healthchecker not found');
    dir = up;
  }
  return join(dir, 'examples', 'anycast-healthchecker');
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('anycast-guard import anycast-healthchecker', () => {
  it('daemon file + service directory → --output FILE that check-config accepts', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ag-import-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, 'config.toml');
    const conv = await cli([
      'import',
      'anycast-healthchecker',
      join(examples(), 'anycast-healthchecker.conf'),
      join(examples(), 'anycast-healthchecker.d'),
      '--output',
      out,
    ]);
    assert.equal(conv.code, 0, conv.stderr);
    assert.equal(conv.stdout, '');
    assert.match(
      conv.stderr,
      /^no equivalent: daemon\.pidfile \(.*anycast-healthchecker\.conf:\d+\): /m,
    );
    assert.match(conv.stderr, /4 services converted to .*config\.toml; 7 notes$/m);
    const toml = await readFile(out, 'utf8');
    assert.match(toml, /^# no equivalent: daemon\.pidfile/m);
    const again = await cli([
      'import',
      'anycast-healthchecker',
      join(examples(), 'bird1'),
      '-o',
      out,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /config\.toml exists; pass --force to replace it/);
    assert.equal(await readFile(out, 'utf8'), toml);
    const check = await cli(['check-config', '--config', out]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /configuration is valid/);
    assert.match(check.stdout, /prefixes \(bird\): 203\.0\.113\.53\/32/);
  });

  it('--force replaces the output file', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ag-import-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, 'config.toml');
    await writeFile(out, 'old');
    const conv = await cli([
      'import',
      'anycast-healthchecker',
      join(examples(), 'bird1'),
      '-o',
      out,
      '--force',
    ]);
    assert.equal(conv.code, 0, conv.stderr);
    assert.match(await readFile(out, 'utf8'), /^\[announcers\.bird\]$/m);
  });

  it('to stdout; BIRD 1.x sample', async () => {
    const conv = await cli(['import', 'anycast-healthchecker', join(examples(), 'bird1')]);
    assert.equal(conv.code, 0, conv.stderr);
    assert.match(
      conv.stdout,
      /^ipv6_reconfigure_command = \["sudo", "\/usr\/sbin\/birdc6", "configure"\]$/m,
    );
  });

  it('broken input: the file and line, exit 1', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ag-import-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const bad = join(dir, 'bad.conf');
    await writeFile(bad, '[daemon]\nipv6 = true\nnot an option\n');
    const conv = await cli(['import', 'anycast-healthchecker', bad]);
    assert.equal(conv.code, 1);
    assert.match(conv.stderr, /bad\.conf:3: "not an option" is not "key = value"/);
    const missing = await cli(['import', 'anycast-healthchecker', join(dir, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nope: ENOENT/);
    const refused = join(dir, 'refused.conf');
    await writeFile(refused, '[a]\ncheck_cmd = /bin/true\ncheck_disabled = false\n');
    const partial = await cli(['import', 'anycast-healthchecker', refused]);
    assert.equal(partial.code, 1);
    assert.match(partial.stderr, /^error: \[a\]\.ip_prefix .*is required/m);
    assert.match(partial.stdout, /^# \[a\] is left out/m);
  });
});
