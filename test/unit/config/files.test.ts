// Files: loadConfig, the example configuration, anycastd's README example, and
// `anycast-guard check-config` run as a child process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConfigError, loadConfig, parseConfig } from '../../../src/config/index.js';
import { schemaKeys } from '../../../src/validation/index.js';
import { bgpSchema, peerSchema } from '../../../src/bgp/options.js';
import {
  apiSchema,
  checkCommonSchema,
  daemonSchema,
  degradeSchema,
  logSchema,
  serviceSchema,
  upSchema,
} from '../../../src/config/schema.js';
import { BGP, SERVICE } from './support.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const main = join(repo, 'dist/src/cli/main.js');
const example = join(repo, 'examples/config.toml');

/**
 * gecio/anycastd README, "Configuration" → "Example", verbatim, as it read until the README
 * was reorganised; the "Usage Example" that replaced it checks dns with one check.
 */
const ANYCASTD_README = `
[services.dns]
prefixes.frrouting = ["2001:db8::b19:bad:53", "203.0.113.53"]
checks.cabourotte = ["dns_v6", "dns_v4"]

[services.ntp]
prefixes.frrouting = [
    { "prefix" = "2001:db8::123:7e11:713e", "vrf" = "123" },
    { "prefix" = "203.0.113.123", "vrf" = "123" },
]
checks.cabourotte = [
    { "name" = "ntp_v6", "interval" = 1 },
    { "name" = "ntp_v4", "interval" = 1 },
]
`;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anycast-guard-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('reads a file and names it as the source', async () => {
    const path = join(dir, 'ok.toml');
    await writeFile(path, BGP + SERVICE);
    const config = await loadConfig(path);
    assert.equal(config.source, path);
    assert.equal(config.services[0]?.name, 'dns');
  });

  it('a missing file is a ConfigError naming the path and errno', async () => {
    const path = join(dir, 'missing.toml');
    await assert.rejects(loadConfig(path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'CONFIG_UNREADABLE');
      assert.equal(
        error.message,
        `${path}: cannot read the configuration file: ENOENT (no such file or directory)`,
      );
      return true;
    });
  });

  it('a directory is a ConfigError too', async () => {
    await assert.rejects(loadConfig(dir), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'CONFIG_UNREADABLE');
      assert.match(error.message, /: cannot read the configuration file: EISDIR \(/);
      return true;
    });
  });
});

describe('examples/config.toml', () => {
  it('is valid and uses every feature', async () => {
    const config = await loadConfig(example);
    const bgp = config.bgp;
    assert.ok(bgp !== undefined);
    const peers = bgp.peers;
    const services = config.services;
    const checks = services.flatMap((s) => s.checks);
    const used: Record<string, boolean> = {
      'bgp.hold_time': bgp.holdTime !== undefined,
      'bgp.listen': bgp.listen !== undefined,
      'an eBGP and an iBGP peer':
        peers.some((p) => p.asn !== bgp.asn) && peers.some((p) => p.asn === bgp.asn),
      'every peer key': [
        'name',
        'port',
        'localAddress',
        'passive',
        'holdTime',
        'connectRetry',
        'maxConnectRetry',
        'families',
        'nextHop',
        'communities',
        'largeCommunities',
        'med',
        'prepend',
        'localPref',
        'bfd',
      ].every((key) => peers.some((p) => key in p)),
      'next_hop as an address and as a table':
        peers.some((p) => p.nextHop?.ipv4 !== undefined) &&
        peers.some((p) => p.nextHop?.ipv6LinkLocal !== undefined),
      'every check type': [
        'exec',
        'http',
        'tcp',
        'dns',
        'tls',
        'file',
        'cabourotte',
        'system',
        'nginx',
        'process',
        'systemd',
      ].every((type) => checks.some((c) => c.type === type)),
      check_name: checks.some((c) => c.type === 'dns' && c.name === 'resolver-v4'),
      'a bare cabourotte string': checks.some((c) => c.name === 'cabourotte ntp_v6'),
      'per-check rise and fall': checks.some((c) => c.rise !== undefined && c.fall !== undefined),
      'every policy': ['all', 'any', 'quorum'].every((kind) =>
        services.some((s) => s.policy.kind === kind),
      ),
      'a degraded down action with every attribute': services.some(
        (s) =>
          s.down.kind === 'degrade' &&
          s.down.med !== undefined &&
          s.down.prepend !== undefined &&
          s.down.communities !== undefined &&
          s.down.largeCommunities !== undefined,
      ),
      on_change: services.some((s) => s.onChange !== undefined),
      'announce always': services.some((s) => s.announce === 'always'),
    };
    assert.deepEqual(
      Object.entries(used)
        .filter(([, yes]) => !yes)
        .map(([what]) => what),
      [],
      'features the example does not show',
    );
  });
});

/** gecio/anycastd README today, "Usage Example" → "`anycastd` configuration", verbatim. */
const ANYCASTD_USAGE_EXAMPLE = ANYCASTD_README.replace(
  'checks.cabourotte = ["dns_v6", "dns_v4"]',
  'checks.cabourotte = ["dns"]',
);

describe('examples/anycastd.toml', () => {
  it("is anycastd's README example verbatim, below its comments", async () => {
    const text = await readFile(join(repo, 'examples/anycastd.toml'), 'utf8');
    const body = text.replace(/^(?:#.*\n)+/, '');
    assert.equal(body.trim(), ANYCASTD_USAGE_EXAMPLE.trim());
    assert.match(text, /"Usage Example"/);
  });
});

describe("anycastd's README example", () => {
  it('is read as written: FRRouting prefixes with their VRFs, and the FRRouting announcer', () => {
    const config = parseConfig(ANYCASTD_README, 'anycastd.toml');
    assert.deepEqual(
      config.services.map((s) => [s.name, s.prefixes]),
      [
        [
          'dns',
          [
            { announcer: 'frrouting', prefix: '2001:db8::b19:bad:53/128' },
            { announcer: 'frrouting', prefix: '203.0.113.53/32' },
          ],
        ],
        [
          'ntp',
          [
            { announcer: 'frrouting', prefix: '2001:db8::123:7e11:713e/128', vrf: '123' },
            { announcer: 'frrouting', prefix: '203.0.113.123/32', vrf: '123' },
          ],
        ],
      ],
    );
    assert.deepEqual(
      config.announcers.map((a) => a.kind),
      ['frrouting'],
    );
    assert.equal(config.bgp, undefined, 'no [bgp]: the embedded speaker is not started');
  });

  it('takes a VRF written as a number, as some anycastd configs do, as its name', () => {
    const config = parseConfig(
      ANYCASTD_README.replaceAll('"vrf" = "123"', '"vrf" = 123'),
      'anycastd.toml',
    );
    assert.deepEqual(
      config.services[1]?.prefixes.map((p) => p.vrf),
      ['123', '123'],
    );
  });

  it("takes anycastd's per-prefix vtysh as the FRRouting announcer's, and refuses two", () => {
    const withVtysh = ANYCASTD_README.replaceAll(
      '"vrf" = "123" }',
      '"vrf" = "123", "vtysh" = "/opt/frr/bin/vtysh" }',
    );
    const config = parseConfig(withVtysh, 'anycastd.toml');
    assert.equal(
      (config.announcers[0]?.settings as { vtysh?: string }).vtysh,
      '/opt/frr/bin/vtysh',
    );
    assert.throws(
      () =>
        parseConfig(
          withVtysh.replace('"vtysh" = "/opt/frr/bin/vtysh" }', '"vtysh" = "/usr/bin/vtysh" }'),
          'anycastd.toml',
        ),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.length === 1 &&
        error.issues[0]?.path === 'services.ntp.prefixes.frrouting[1].vtysh' &&
        /one FRRouting \(one vtysh\) per anycast-guard/.test(error.issues[0].message),
    );
  });

  it('with prefixes.bgp, its VRFs are refused at their keys: the embedded speaker has one table', () => {
    assert.throws(
      () =>
        parseConfig(
          ANYCASTD_README.replaceAll('prefixes.frrouting', 'prefixes.bgp') + BGP,
          'anycastd.toml',
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.issues.map((i) => i.path),
          ['services.ntp.prefixes.bgp[0].vrf', 'services.ntp.prefixes.bgp[1].vrf'],
        );
        assert.match(error.issues[0]?.message ?? '', /the embedded BGP speaker has no VRFs here/);
        return true;
      },
    );
  });

  it('with prefixes.bgp, no VRFs and a [bgp] section it is accepted, Cabourotte bare strings and all', () => {
    const config = parseConfig(
      ANYCASTD_README.replaceAll('prefixes.frrouting', 'prefixes.bgp').replaceAll(
        ', "vrf" = "123"',
        '',
      ) + BGP,
      'anycastd.toml',
    );
    assert.deepEqual(
      config.services.map((s) => ({
        name: s.name,
        prefixes: s.prefixes,
        checks: s.checks.map((c) => [c.type, c.name, c.interval, c.timeout, c.spec]),
      })),
      [
        {
          name: 'dns',
          prefixes: [
            { announcer: 'bgp', prefix: '2001:db8::b19:bad:53/128' },
            { announcer: 'bgp', prefix: '203.0.113.53/32' },
          ],
          checks: [
            [
              'cabourotte',
              'cabourotte dns_v6',
              5,
              2,
              { name: 'dns_v6', url: 'http://127.0.0.1:9013' },
            ],
            [
              'cabourotte',
              'cabourotte dns_v4',
              5,
              2,
              { name: 'dns_v4', url: 'http://127.0.0.1:9013' },
            ],
          ],
        },
        {
          name: 'ntp',
          prefixes: [
            { announcer: 'bgp', prefix: '2001:db8::123:7e11:713e/128' },
            { announcer: 'bgp', prefix: '203.0.113.123/32' },
          ],
          checks: [
            [
              'cabourotte',
              'cabourotte ntp_v6',
              1,
              1,
              { name: 'ntp_v6', url: 'http://127.0.0.1:9013' },
            ],
            [
              'cabourotte',
              'cabourotte ntp_v4',
              1,
              1,
              { name: 'ntp_v4', url: 'http://127.0.0.1:9013' },
            ],
          ],
        },
      ],
    );
  });
});

describe('anycast-guard check-config', () => {
  it('exits 0 and prints the summary for a valid file', async () => {
    const { stdout, stderr } = await run(process.execPath, [
      main,
      'check-config',
      '--config',
      example,
    ]);
    assert.equal(stderr, '');
    assert.match(stdout, /^configuration .*examples\/config\.toml$/m);
    assert.match(stdout, /^ {2}dns: announced while healthy, policy quorum of 3,/m);
    assert.match(stdout, /^ {6}dns "resolver-v4": every 5 s, timeout 2 s$/m);
    assert.match(stdout, /^ {4}prefixes \(bgp\): 203\.0\.113\.53\/32, 2001:db8::53\/128$/m);
    assert.match(stdout, /: configuration is valid\n$/);
  });

  it('exits 1 with every problem on stderr', async () => {
    const path = join(dir, 'bad.toml');
    await writeFile(path, BGP + 'hold_time = 2\n' + SERVICE + 'rize = 3\n');
    const result = await run(process.execPath, [main, 'check-config', '-c', path]).then(
      () => assert.fail('exited 0'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      [
        `${path}: bgp.peers[0].hold_time: must be 0 or a whole number of seconds from 3 to 65535 (RFC 4271 4.2), got 2`,
        `${path}: services.dns.rize: unknown key (did you mean 'rise'?)`,
        `${path}: configuration is not valid (2 problems)`,
        '',
      ].join('\n'),
    );
  });

  it('exits 1 for a missing file, naming it', async () => {
    const path = join(dir, 'nope.toml');
    const result = await run(process.execPath, [main, 'check-config', '--config', path]).then(
      () => assert.fail('exited 0'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(`^${path.replaceAll('.', '\\.')}: cannot read the configuration file: ENOENT`),
    );
  });

  it('docs/configuration.md documents every key the schemas accept', async () => {
    const docs = await readFile(join(repo, 'docs/configuration.md'), 'utf8');
    const keys = new Set([
      ...schemaKeys(logSchema),
      ...schemaKeys(apiSchema),
      ...schemaKeys(bgpSchema),
      ...schemaKeys(bgpSchema.shape.listen),
      ...schemaKeys(peerSchema),
      ...schemaKeys(peerSchema.shape.next_hop),
      ...schemaKeys(serviceSchema),
      ...schemaKeys(serviceSchema.shape.policy),
      ...schemaKeys(degradeSchema),
      ...schemaKeys(upSchema),
      ...schemaKeys(daemonSchema),
      ...schemaKeys(checkCommonSchema),
      'prefix',
      'vrf',
    ]);
    for (const nested of ['host', 'ipv6_link_local', 'quorum', 'large_communities', 'check_name'])
      assert.ok(keys.has(nested), `the schema walk missed ${nested}`);
    const missing = [...keys].filter((key) => !docs.includes(`\`${key}\``));
    assert.deepEqual(missing, []);
    assert.match(docs, /examples\/config\.toml/);
  });
});
