/**
 * The importer against ExaBGP's own healthcheck (the installed ExaBGP's
 * exabgp/application/healthcheck.py, run as `python3 -m exabgp healthcheck`): for each set
 * of options, the healthcheck runs once (--interval 0, --rise 1, --fall 1, --no-ack) with
 * a passing and with a failing command, and what it tells ExaBGP (`announce route … med …
 * community [ … ] …` or `withdraw route …`) must be what the converted service's `up` and
 * `down` announce: the same prefix, MED, communities, large communities, AS path (our AS
 * plus `prepend` copies) and, while up, LOCAL_PREF.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'smol-toml';
import { findExecutable, requireLab } from '../lab/index.js';
import { argsFromCommandLine, convertExabgpHealthcheck } from '../../src/import/index.js';

type Table = Record<string, unknown>;

/** The interpreter ExaBGP runs with (its script's #! line). */
function exabgpPython(): string {
  const script = findExecutable('exabgp');
  assert.ok(script !== undefined, 'exabgp not found');
  const shebang = readFileSync(script, 'utf8').split('\n')[0] ?? '';
  const match = /^#!\s*(\S+)/.exec(shebang);
  return match?.[1] ?? 'python3';
}

function runHealthcheck(python: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      python,
      ['-m', 'exabgp', 'healthcheck', ...args],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`healthcheck failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end();
  });
}

interface Announced {
  readonly prefix: string;
  readonly withdraw: boolean;
  readonly med?: number;
  readonly localPref?: number;
  readonly communities?: string[];
  readonly largeCommunities?: string[];
  readonly asPath?: string[];
}

/** One line healthcheck writes for ExaBGP. */
function readLine(line: string): Announced {
  const m = /^(announce|withdraw) route (\S+) next-hop \S+(.*)$/.exec(line.trim());
  assert.ok(m, `not a route line: ${line}`);
  const rest = m[3] ?? '';
  const list = (name: string): string[] | undefined => {
    const found = new RegExp(`(?:^| )${name} \\[ ([^\\]]*) \\]`).exec(rest);
    return found?.[1]?.split(' ').filter((w) => w !== '');
  };
  const number = (name: string): number | undefined => {
    const found = new RegExp(`(?:^| )${name} (\\d+)`).exec(rest);
    return found === null ? undefined : Number(found[1]);
  };
  const result: Record<string, unknown> = { prefix: m[2], withdraw: m[1] === 'withdraw' };
  const put = (key: string, value: unknown) => {
    if (value !== undefined) result[key] = value;
  };
  put('med', number('med'));
  put('localPref', number('local-preference'));
  put('communities', list('community'));
  put('largeCommunities', list('large-community'));
  put('asPath', list('as-path'));
  return result as unknown as Announced;
}

/** What anycast-guard announces with these attributes, in the same terms (our AS given). */
function fromAttributes(prefix: string, attributes: unknown, asn: number | undefined): Announced {
  if (attributes === 'withdraw') return { prefix, withdraw: true };
  const a = (attributes ?? {}) as Table;
  const result: Record<string, unknown> = { prefix, withdraw: false };
  if (a.med !== undefined) result.med = a.med;
  if (a.local_pref !== undefined) result.localPref = a.local_pref;
  if (a.communities !== undefined) result.communities = a.communities;
  if (a.large_communities !== undefined) result.largeCommunities = a.large_communities;
  if (typeof a.prepend === 'number' && a.prepend > 0)
    result.asPath = Array.from({ length: a.prepend + 1 }, () => String(asn));
  return result as unknown as Announced;
}

const CASES = [
  '--ip 203.0.113.5',
  '--ip 203.0.113.6/32 --up-metric 10 --down-metric 900 --community "65001:1 no-export" --large-community 65001:2:3 --as-path "65001 65001" --local-preference 200',
  '--ip 203.0.113.7 --community 65001:1 --disabled-community 65001:666',
  '--ip 203.0.113.8 --withdraw-on-down --up-metric 20',
  '--ip 2001:db8::5 --up-metric 7 --down-metric 8',
  '--ip 203.0.113.9 --up-as-path "65001 65001 65001" --down-as-path "65001 65001"',
];

test("the importer's up and down attributes are what ExaBGP's healthcheck announces", async (t) => {
  if (!(await requireLab(t, ['exabgp']))) return;
  const python = exabgpPython();
  for (const options of CASES) {
    const args = argsFromCommandLine([options]);
    assert.ok(args !== undefined);
    const converted = convertExabgpHealthcheck({
      lines: [{ where: 'case', text: options, args: [...args, '--cmd', '/bin/true'] }],
    });
    const toml = JSON.parse(JSON.stringify(parse(converted.toml))) as Table;
    const service = Object.values((toml.services ?? {}) as Record<string, Table>)[0];
    assert.ok(service !== undefined, converted.toml);
    const asn = ((toml.announcers as Table | undefined)?.exabgp as Table | undefined)?.asn as
      number | undefined;
    const [prefix] = (service.prefixes as Table).exabgp as string[];
    assert.ok(prefix !== undefined);
    const once = ['--no-ip-setup', '--no-ack', '--no-syslog', '--interval', '0'];
    const upLines = await runHealthcheck(python, [
      ...args,
      ...once,
      '--rise',
      '1',
      '--cmd',
      '/bin/true',
    ]);
    const downLines = await runHealthcheck(python, [
      ...args,
      ...once,
      '--fall',
      '1',
      '--cmd',
      '/bin/false',
    ]);
    const up = readLine(upLines.trim().split('\n')[0] ?? '');
    const down = readLine(downLines.trim().split('\n')[0] ?? '');
    assert.deepEqual(fromAttributes(prefix, service.up, asn), up, `${options}: up`);
    // A degraded route carries no LOCAL_PREF of its own (the importer notes it).
    const { localPref: _dropped, ...downWithoutLocalPref } = down;
    assert.deepEqual(
      fromAttributes(prefix, service.down, asn),
      down.withdraw ? down : downWithoutLocalPref,
      `${options}: down`,
    );
  }
});
