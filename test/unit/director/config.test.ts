import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, IssueList } from '../../../src/validation/index.js';
import { buildDirectors } from '../../../src/director/node-settings.js';
import { parseDirectorConfig } from '../../../src/director/config.js';

describe('director configuration', () => {
  it('reads a full file', () => {
    const config = parseDirectorConfig(
      `
name = "dir-a"
listen = "127.0.0.1:8441"
key_file = "/etc/anycast-guard/director.key"
trusted_keys = "/etc/anycast-guard/trusted-keys"
peers = ["http://127.0.0.1:8442"]
discovery_url = "http://127.0.0.1:8080/.well-known/anycast-guard"
discover_peers = false
interval = 5
[services.web]
anycast_url = "http://203.0.113.80/"
[sites.ams]
subnets = ["10.1.0.0/16"]
lat = 52.37
lon = 4.9
`,
      'director.toml',
    );
    assert.equal(config.advertiseUrl, 'http://127.0.0.1:8441');
    assert.equal(config.intervalMs, 5000);
    assert.equal(config.adLifetimeMs, 15_000);
    assert.equal(config.discoverPeers, false);
    assert.deepEqual(config.services, { web: { anycastUrl: 'http://203.0.113.80/' } });
    assert.deepEqual(config.sites, [
      { name: 'ams', subnets: ['10.1.0.0/16'], lat: 52.37, lon: 4.9 },
    ]);
  });

  it('names every problem at its key', () => {
    assert.throws(
      () =>
        parseDirectorConfig(
          `
name = "dir a"
key_file = "director.key"
trusted_keys = "/k"
peers = ["ftp://x"]
interval = 10
ad_lifetime = 5
intervall = 3
[sites.ams]
subnets = ["10.1.0.0/33"]
lat = 1
`,
          'd.toml',
        ),
      (error: ConfigError) => {
        const text = error.message;
        return (
          error.code === 'CONFIG_INVALID' &&
          text.includes('d.toml: name: must be 1 to 128 letters') &&
          text.includes('d.toml: key_file: must be an absolute path') &&
          text.includes('d.toml: peers[0]: must be an http:// or https:// URL') &&
          text.includes("d.toml: intervall: unknown key (did you mean 'interval'?)") &&
          text.includes('d.toml: sites.ams.subnets[0]: must be a subnet')
        );
      },
    );
    assert.throws(
      () =>
        parseDirectorConfig(
          'name = "d"\nkey_file = "/k"\ntrusted_keys = "/t"\ninterval = 10\nad_lifetime = 5\n',
          'd.toml',
        ),
      /ad_lifetime: must be at least twice the interval \(10 s\)/,
    );
  });
});

describe('the node’s [directors] section', () => {
  it('reads it, with defaults', () => {
    const issues = new IssueList();
    const config = buildDirectors(
      {
        urls: ['http://127.0.0.1:8441'],
        key_file: '/k',
        url: 'http://198.51.100.7/',
        name: 'edge-1',
        site: 'ams',
        lat: 52.37,
        lon: 4.9,
      },
      issues,
    );
    assert.deepEqual(issues.items, []);
    assert.equal(config?.intervalMs, 10_000);
    assert.equal(config?.adLifetimeMs, 30_000);
    assert.equal(config?.timeoutMs, 2000);
    assert.equal(config?.name, 'edge-1');
  });

  it('refuses a section that names no director, or half a coordinate', () => {
    const issues = new IssueList();
    assert.equal(
      buildDirectors({ key_file: '/k', url: 'http://x/', name: 'n', lat: 1 }, issues),
      undefined,
    );
    assert.deepEqual(
      issues.items.map((i) => `${i.path}: ${i.message}`),
      [
        'directors: names no director: set discovery_url or urls',
        'directors.lon: is required with the other coordinate',
      ],
    );
    const more = new IssueList();
    buildDirectors({ urls: ['http://d/'], key_file: 'k', url: 'x', urlz: 1 }, more);
    assert.deepEqual(more.items.map((i) => i.path).sort(), [
      'directors.key_file',
      'directors.url',
      'directors.urlz',
    ]);
  });
});

describe('TLS and outside probes in the configuration', () => {
  it('a director with [tls] defaults to an https:// advertise URL; paths must be absolute', () => {
    const base = 'name = "d"\nkey_file = "/k"\ntrusted_keys = "/t"\nlisten = "0.0.0.0:8441"\n';
    const config = parseDirectorConfig(
      `${base}clock_skew = 5\n[tls]\ncert_file = "/c.pem"\nkey_file = "/k.pem"\n`,
      'd.toml',
    );
    assert.equal(config.advertiseUrl, 'https://0.0.0.0:8441');
    assert.deepEqual(config.tls, { certFile: '/c.pem', keyFile: '/k.pem' });
    assert.equal(config.clockSkewMs, 5000);
    assert.throws(
      () => parseDirectorConfig(`${base}clock_skew = 900\n[tls]\ncert_file = "c.pem"\n`, 'd.toml'),
      (error: ConfigError) => {
        const text = error.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
        assert.match(text, /clock_skew: must be a number of seconds from 0 to 300/);
        assert.match(text, /tls\.cert_file: must be an absolute path/);
        assert.match(text, /tls\.key_file: /);
        return true;
      },
    );
  });

  it('the node side reads tls and probe, with the probe defaults', () => {
    const issues = new IssueList();
    const config = buildDirectors(
      {
        urls: ['https://127.0.0.1:8441'],
        key_file: '/k',
        url: 'http://198.51.100.7/',
        name: 'edge-1',
        tls: { ca_file: '/ca.pem', cert_file: '/c.pem', key_file: '/c.key' },
        probe: {},
      },
      issues,
    );
    assert.deepEqual(issues.items, []);
    assert.deepEqual(config?.tls, { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/c.key' });
    assert.deepEqual(config?.probe, { path: '/health', intervalMs: 5000, timeoutMs: 2000 });
    const bad = new IssueList();
    buildDirectors(
      {
        urls: ['https://d/'],
        key_file: '/k',
        url: 'http://x/',
        name: 'n',
        tls: { cert_file: '/c.pem' },
        probe: { path: 'health', interval: 2, timeout: 3 },
      },
      bad,
    );
    assert.deepEqual(
      bad.items.map((i) => i.path).sort(),
      ['directors.probe.path'],
      'the schema first',
    );
    const half = new IssueList();
    buildDirectors(
      {
        urls: ['https://d/'],
        key_file: '/k',
        url: 'http://x/',
        name: 'n',
        tls: { cert_file: '/c.pem' },
        probe: { interval: 2, timeout: 3 },
      },
      half,
    );
    assert.deepEqual(
      half.items.map((i) => `${i.path}: ${i.message}`),
      [
        'directors.tls.key_file: is required with the other (a client certificate needs its key)',
        'directors.probe.timeout: must not be longer than the probe interval (2 s)',
      ],
    );
  });
});

describe('[directors] through the node config parser', () => {
  it('is parsed into DaemonConfig.directors, and its problems are named at their keys', async () => {
    const { parseConfig } = await import('../../../src/config/index.js');
    const base = `
[services.web]
prefixes = ["203.0.113.80"]
announce = "always"
[bgp]
asn = 65001
router_id = "198.18.0.1"
[[bgp.peers]]
address = "127.0.0.1"
asn = 65000
`;
    const config = parseConfig(
      `${base}[directors]\nurls = ["http://127.0.0.1:8441"]\nkey_file = "/k"\nurl = "http://198.51.100.7/"\nname = "edge-1"\n`,
      'node.toml',
    );
    assert.equal(config.directors?.name, 'edge-1');
    assert.deepEqual(config.directors?.urls, ['http://127.0.0.1:8441']);
    assert.equal(parseConfig(base, 'node.toml').directors, undefined);
    assert.throws(
      () =>
        parseConfig(
          `${base}[directors]\nkey_file = "/k"\nurl = "http://x/"\nname = "n"\ninterval = 0\n`,
          'node.toml',
        ),
      (error: ConfigError) =>
        error.message.includes(
          'node.toml: directors.interval: must be a number of seconds more than 0',
        ) && error.message.includes('node.toml: directors: names no director'),
    );
  });

  it('the daemon status becomes the services of an ad', async () => {
    const { servicesOf } = await import('../../../src/node-ads/index.js');
    const services = servicesOf({
      services: [
        {
          name: 'web',
          state: 'up',
          since: 0,
          reason: '',
          checks: [],
          prefixes: [
            { announcer: 'bgp', prefix: '203.0.113.80/32' },
            { announcer: 'bird', prefix: '203.0.113.80/32' },
          ],
        },
        { name: 'bad name', state: 'down', since: 0, reason: '', checks: [], prefixes: [] },
      ],
    } as never);
    assert.deepEqual(services, [{ name: 'web', state: 'up', prefixes: ['203.0.113.80/32'] }]);
  });

  it('a draining service is drained in its ad: directors send no new clients there', async () => {
    const { servicesOf } = await import('../../../src/node-ads/index.js');
    const services = servicesOf({
      services: [
        { name: 'web', state: 'draining', since: 0, reason: '', checks: [], prefixes: [] },
      ],
    } as never);
    assert.deepEqual(services, [{ name: 'web', state: 'drained', prefixes: [] }]);
  });
});

describe('examples/director.toml', () => {
  it('is a valid director configuration', () => {
    // The repository root, wherever the compiled tests were put.
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'examples', 'director.toml')) && dirname(dir) !== dir)
      dir = dirname(dir);
    const path = join(dir, 'examples', 'director.toml');
    const config = parseDirectorConfig(readFileSync(path, 'utf8'), path);
    assert.equal(config.name, 'dir-ams');
    assert.equal(config.sites.length, 2);
    assert.equal(config.clockSkewMs, 30_000);
    assert.equal(config.tls?.clientCaFile, '/etc/anycast-guard/clients-ca.pem');
  });
});
