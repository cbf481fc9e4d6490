// `anycast-guard import exabgp-healthcheck` as a child process: the healthcheck lines of the
// exabgp.conf fixtures (test/fixtures/exabgp-healthcheck, written from ExaBGP's documented
// examples) convert, and `anycast-guard check-config` accepts the result.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

function fixtures(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'test', 'fixtures', 'exabgp-healthcheck'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('test/fixtures/exabgp-healthcheck not found');
    dir = up;
  }
  return join(dir, 'test', 'fixtures', 'exabgp-healthcheck');
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The fixtures in a temporary /etc/exabgp: the --config path they name points there. */
async function etcExabgp(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ag-import-exabgp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(fixtures(), dir, { recursive: true });
  const conf = join(dir, 'dns-lb.conf');
  await writeFile(
    conf,
    (await readFile(conf, 'utf8')).replaceAll('/etc/exabgp/dns-lb-1', join(dir, 'dns-lb-1')),
  );
  return dir;
}

/** Converts one fixture to a file and runs check-config on it. */
async function convertAndCheck(dir: string, fixture: string) {
  const out = join(dir, `${fixture}.toml`);
  const conv = await cli([
    'import',
    'exabgp-healthcheck',
    '--file',
    join(dir, `${fixture}.conf`),
    '-o',
    out,
  ]);
  assert.equal(conv.code, 0, conv.stderr);
  assert.equal(conv.stdout, '');
  const check = await cli(['check-config', '--config', out]);
  assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}\n${await readFile(out, 'utf8')}`);
  assert.match(check.stdout, /configuration is valid/);
  return { conv, check, toml: await readFile(out, 'utf8') };
}

describe('anycast-guard import exabgp-healthcheck', () => {
  it('ExaBGP 4 haproxy/mysql example → services check-config accepts (interval 1 with the default timeout 5)', async (t) => {
    const dir = await etcExabgp(t);
    const { conv, check } = await convertAndCheck(dir, 'haproxy-mysql');
    assert.match(conv.stderr, /2 services converted to .*haproxy-mysql\.toml; 2 notes$/m);
    assert.match(conv.stderr, /^no equivalent: .*haproxy-mysql\.conf:18 --label: /m);
    assert.match(check.stdout, /prefixes \(exabgp\): 203\.0\.113\.80\/32/);
    assert.match(
      check.stdout,
      /exec "healthcheck": every 5 s \(every 1 s while changing\), timeout 5 s/,
    );
    assert.match(check.stdout, /exec "healthcheck": every 1 s, timeout 5 s/);
  });

  it('--config files, IPv6, communities, as-path prepends and a non-healthcheck process', async (t) => {
    const dir = await etcExabgp(t);
    const { conv, toml, check } = await convertAndCheck(dir, 'dns-lb');
    assert.match(conv.stderr, /^no equivalent: .*dns-lb\.conf:16: process static-routes runs /m);
    assert.match(toml, /^\[services\.dns-lb-1\]$/m);
    assert.match(toml, /^next_hop = "198\.18\.0\.1"$/m);
    assert.match(toml, /^asn = 64496 /m);
    assert.match(check.stdout, /prefixes \(exabgp\): 2001:db8:53::1\/128/);
    assert.match(check.stdout, /file "disable": every 5 s, timeout 2 s, rise 1, fall 1/);
  });

  it('ExaBGP 3.4 group syntax, healthcheck.py, hooks, maintenance file, iBGP local preference', async (t) => {
    const dir = await etcExabgp(t);
    const { toml, check } = await convertAndCheck(dir, 'exabgp-3.4');
    assert.match(toml, /^ack = false/m);
    assert.match(toml, /^up = \{ med = 100, local_pref = 200 \}$/m);
    assert.match(check.stdout, /on change: \/bin\/sh -c .*\(timeout 60 s\)/s);
  });

  it('one line after --, to stdout; what it cannot read is exit 1', async () => {
    const conv = await cli([
      'import',
      'exabgp-healthcheck',
      '--',
      'python3',
      '-m',
      'exabgp',
      'healthcheck',
      '--cmd',
      'curl -sf http://127.0.0.1/',
      '--ip',
      '203.0.113.7',
      '--interval',
      '1',
    ]);
    assert.equal(conv.code, 0, conv.stderr);
    assert.match(conv.stdout, /^\[services\.healthcheck\]$/m);
    assert.match(conv.stdout, /interval = 1, timeout = 5 \}\]$/m);
    const none = await cli(['import', 'exabgp-healthcheck']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /give --file exabgp\.conf, or the healthcheck command line after --/);
    const bad = await cli(['import', 'exabgp-healthcheck', '--', '--cmd', 'x', '--bogus']);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^error: command line: healthcheck would refuse to start: unrecognized option: --bogus$/m,
    );
    const notHealthcheck = await cli([
      'import',
      'exabgp-healthcheck',
      '--',
      '/usr/bin/other',
      '-x',
    ]);
    assert.equal(notHealthcheck.code, 1);
    assert.match(notHealthcheck.stderr, /not a healthcheck command line/);
  });
});
