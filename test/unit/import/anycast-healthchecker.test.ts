// anycast-healthchecker configurations converted, then read back with anycast-guard's own
// config parser: the result must be valid and mean the same (prefixes, commands,
// intervals, timeouts, rise/fall, BIRD files and commands).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BirdSettings } from '../../../src/announcers/bird/index.js';
import { parseConfig, type DaemonConfig } from '../../../src/config/index.js';
import {
  convertAnycastHealthchecker,
  type ImportNote,
  type SourceFile,
} from '../../../src/import/index.js';

function examplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'examples', 'anycast-healthchecker'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('examples/anycast-healthchecker not found');
    dir = up;
  }
  return join(dir, 'examples', 'anycast-healthchecker');
}

function file(path: string): SourceFile {
  return { path, text: readFileSync(path, 'utf8') };
}

function convert(files: SourceFile[]) {
  const result = convertAnycastHealthchecker(files);
  const config = parseConfig(result.toml, 'converted.toml');
  return { result, config, bird: birdOf(config) };
}

function birdOf(config: DaemonConfig): BirdSettings {
  const entry = config.announcers.find((a) => a.kind === 'bird');
  assert.ok(entry, 'no [announcers.bird]');
  return entry.settings as BirdSettings;
}

/** What a service means, in a comparable shape. */
function meaning(config: DaemonConfig, name: string) {
  const service = config.services.find((s) => s.name === name);
  assert.ok(service, `no service ${name}`);
  return {
    prefixes: service.prefixes.map((p) => `${p.announcer} ${p.prefix}`),
    announce: service.announce,
    checks: service.checks.map((c) => ({
      type: c.type,
      command: (c.spec as { command: string[] }).command,
      interval: c.interval,
      timeout: c.timeout,
    })),
    rise: service.rise,
    fall: service.fall,
    holdDown: service.holdDown,
    addresses: service.addresses,
    device: service.device,
    addressManagement: service.addressManagement,
  };
}

const notesAbout = (notes: readonly ImportNote[], text: string) =>
  notes.filter((n) => n.where.includes(text));

describe('import anycast-healthchecker: examples/anycast-healthchecker (BIRD 2)', () => {
  const dir = examplesDir();
  const services = join(dir, 'anycast-healthchecker.d');
  const files = [
    file(join(dir, 'anycast-healthchecker.conf')),
    ...readdirSync(services)
      .filter((n) => n.endsWith('.conf'))
      .sort()
      .map((n) => file(join(services, n))),
  ];
  const { result, config, bird } = convert(files);

  it('converts without errors, every service but the disabled one', () => {
    assert.equal(result.errors, 0);
    assert.equal(result.services, 4);
    assert.deepEqual(
      config.services.map((s) => s.name),
      ['dns.example.net', 'dns6.example.net', 'web.example.net', 'ntp.example.net'],
    );
    assert.equal(config.log.level, 'info');
  });

  it('a service: its prefix through BIRD, its exec check, rise/fall, no hold-down, its address', () => {
    assert.deepEqual(meaning(config, 'dns.example.net'), {
      prefixes: ['bird 203.0.113.53/32'],
      announce: 'healthy',
      checks: [
        {
          type: 'exec',
          command: [
            '/usr/bin/dig',
            '+short',
            '+time=1',
            '+tries=1',
            '@203.0.113.53',
            'check.example.net',
            'A',
          ],
          interval: 2,
          timeout: 1,
        },
      ],
      rise: 3,
      fall: 2,
      holdDown: 0,
      addresses: ['203.0.113.53/32'],
      device: 'lo',
      addressManagement: 'off',
    });
    // check_rise/check_fail not set: anycast-healthchecker's 2 and 2; a bare address is /128.
    const dns6 = meaning(config, 'dns6.example.net');
    assert.deepEqual([dns6.prefixes, dns6.rise, dns6.fall], [['bird 2001:db8::53/128'], 2, 2]);
  });

  it('continuation lines, %% and shell-looking words give the argv shlex gave', () => {
    const web = meaning(config, 'web.example.net');
    assert.deepEqual(web.checks[0]?.command, [
      '/usr/bin/curl',
      '--fail',
      '--silent',
      '--max-time',
      '2',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'http://203.0.113.80/health?probe=anycast&full=1',
    ]);
    assert.deepEqual(
      [web.checks[0]?.interval, web.checks[0]?.timeout, web.rise, web.fall],
      [5, 3, 2, 3],
    );
    // ip_check_disabled = true: no address to check.
    assert.deepEqual(web.addresses, []);
  });

  it('check_disabled: advertise becomes announce = "always"; withdraw (the default!) is left out', () => {
    const ntp = meaning(config, 'ntp.example.net');
    assert.deepEqual(
      [ntp.announce, ntp.checks, ntp.prefixes],
      ['always', [], ['bird 198.51.100.123/32']],
    );
    assert.equal(
      config.services.some((s) => s.name === 'old.example.net'),
      false,
    );
    assert.match(result.toml, /^# \[services\."old\.example\.net"\]$/m);
    assert.match(
      notesAbout(result.notes, '[old.example.net]')[0]?.message ?? '',
      /not set, and anycast-healthchecker's default is true/,
    );
  });

  it('[daemon] becomes [announcers.bird]: the same files, variables, dummies, birdc and socket', () => {
    assert.deepEqual(bird.ipv4, {
      family: 'ipv4',
      file: '/var/lib/anycast-healthchecker/anycast-prefixes.conf',
      variable: 'ACAST_PS_ADVERTISE',
      dummyPrefix: '10.189.200.255/32',
    });
    assert.equal(bird.ipv6?.variable, 'ACAST6_PS_ADVERTISE');
    assert.deepEqual(
      bird.instances.map((i) => [i.name, i.families, i.configure]),
      [
        [
          'bird',
          ['ipv4', 'ipv6'],
          ['/usr/sbin/birdc', '-s', '/run/bird/bird.ctl', '-v', 'configure'],
        ],
      ],
    );
  });

  it('says what has no equivalent, on the notes and in the output', () => {
    const keys = result.notes
      .filter((n) => n.kind === 'no-equivalent')
      .map((n) => n.where.split(' ')[0]);
    assert.deepEqual(keys, [
      'daemon.pidfile',
      'daemon.prometheus_exporter',
      'daemon.prometheus_collector_textfile_dir',
      'daemon.prometheus_exporter_interval',
      'daemon.splay_startup',
    ]);
    for (const note of result.notes) assert.ok(result.toml.includes(note.message), note.message);
  });
});

describe('import anycast-healthchecker: BIRD 1.x with sudo (examples/anycast-healthchecker/bird1)', () => {
  const { result, config, bird } = convert([
    file(join(examplesDir(), 'bird1', 'anycast-healthchecker.conf')),
  ]);

  it('keeps the sudo commands, bird6 as a second BIRD', () => {
    assert.deepEqual(
      result.notes.filter((n) => n.kind === 'error'),
      [],
    );
    // bird and bird6 each include one file, so the same name in both is right.
    assert.deepEqual(
      [bird.ipv4?.variable, bird.ipv6?.variable],
      ['ANYCAST_ADVERTISE', 'ANYCAST_ADVERTISE'],
    );
    assert.deepEqual(
      bird.instances.map((i) => [i.name, i.families, i.configure]),
      [
        ['bird', ['ipv4'], ['sudo', '/usr/sbin/birdc', 'configure']],
        ['bird6', ['ipv6'], ['sudo', '/usr/sbin/birdc6', 'configure']],
      ],
    );
    assert.equal(config.log.level, 'warn');
  });

  it('[DEFAULT] applies to every service; interface becomes device', () => {
    const api = meaning(config, 'api.example.net');
    assert.deepEqual(
      [api.checks[0]?.interval, api.checks[0]?.timeout, api.device, api.addresses],
      [3, 2, 'dummy0', ['203.0.113.10/32']],
    );
  });

  it('log files and the change history have no equivalent', () => {
    const keys = result.notes
      .filter((n) => n.kind === 'no-equivalent')
      .map((n) => n.where.split(' ')[0]);
    assert.deepEqual(keys, [
      'daemon.log_file',
      'daemon.log_maxbytes',
      'daemon.json_log_file',
      'daemon.bird_keep_changes',
      'daemon.bird_changes_counter',
    ]);
  });
});

describe('import anycast-healthchecker: edge cases', () => {
  const daemon =
    '[daemon]\nipv6 = true\nbird_reconfigure_cmd = birdc configure\nbird6_reconfigure_cmd = birdc configure\n';

  it('an absent [daemon]: anycast-healthchecker’s defaults (IPv6 off, sudo birdc)', () => {
    const { bird } = convert([
      {
        path: 's.conf',
        text: '[a]\ncheck_cmd = /bin/true\nip_prefix = 203.0.113.1\ncheck_disabled = false\n',
      },
    ]);
    assert.equal(bird.ipv6, undefined);
    assert.deepEqual(bird.instances[0]?.configure, ['sudo', '/usr/sbin/birdc', 'configure']);
  });

  it('the same custom_bird_reconfigure_cmd everywhere becomes reconfigure_command; different ones cannot', () => {
    const same = convert([
      { path: 'd.conf', text: daemon },
      {
        path: 's.conf',
        text: '[DEFAULT]\ncheck_disabled = false\ncustom_bird_reconfigure_cmd = /usr/local/bin/reload up\ncustom_bird_reconfigure_cmd_timeout = 4\n[a]\ncheck_cmd = /bin/true\nip_prefix = 203.0.113.1\n[b]\ncheck_cmd = /bin/true\nip_prefix = 2001:db8::2\n',
      },
    ]);
    assert.deepEqual(
      same.bird.instances.map((i) => i.configure),
      [['/usr/local/bin/reload', 'up']],
    );
    assert.equal(same.bird.timeoutMs, 4000);
    const differ = convert([
      { path: 'd.conf', text: daemon },
      {
        path: 's.conf',
        text: '[DEFAULT]\ncheck_disabled = false\n[a]\ncheck_cmd = /bin/true\nip_prefix = 203.0.113.1\ncustom_bird_reconfigure_cmd = /x\n[b]\ncheck_cmd = /bin/true\nip_prefix = 203.0.113.2\n',
      },
    ]);
    assert.deepEqual(
      differ.bird.instances.map((i) => i.configure),
      [['birdc', '-v', 'configure']],
    );
    assert.equal(
      differ.result.notes.some(
        (n) => n.kind === 'no-equivalent' && /not the same for every service/.test(n.message),
      ),
      true,
    );
  });

  it('a timeout longer than the interval is kept (runs never overlap); odd names are made valid; unknown options noted', () => {
    const { result, config } = convert([
      { path: 'd.conf', text: daemon },
      {
        path: 's.conf',
        text: '[web server (eu)]\ncheck_cmd = /bin/true\ncheck_interval = 1\ncheck_timeout = 5\ncheck_disabled = no\nip_prefix = 203.0.113.1\nchek_rise = 3\n',
      },
    ]);
    const web = meaning(config, 'web-server--eu-');
    assert.deepEqual([web.checks[0]?.interval, web.checks[0]?.timeout], [1, 5]);
    assert.equal(notesAbout(result.notes, '[web server (eu)].chek_rise').length, 1);
    assert.equal(notesAbout(result.notes, '[web server (eu)].check_timeout').length, 0);
  });

  it('what anycast-healthchecker would refuse is an error and left out; the rest still converts', () => {
    const { result, config } = convert([
      { path: 'd.conf', text: '[daemon]\nipv6 = false\nbird_reconfigure_cmd = birdc configure\n' },
      {
        path: 's.conf',
        text: [
          '[DEFAULT]',
          'check_disabled = false',
          '[good]',
          'check_cmd = /bin/true',
          'ip_prefix = 203.0.113.1',
          '[noprefix]',
          'check_cmd = /bin/true',
          '[v6]',
          'check_cmd = /bin/true',
          'ip_prefix = 2001:db8::5',
          '[badbool]',
          'check_cmd = /bin/true',
          'ip_prefix = 203.0.113.3',
          'ip_check_disabled = maybe',
          '[percent]',
          'check_cmd = curl -w %{http_code} http://x/',
          'ip_prefix = 203.0.113.4',
          '[twin]',
          'check_cmd = /bin/true',
          'ip_prefix = 203.0.113.1/32',
          '[hostbits]',
          'check_cmd = /bin/true',
          'ip_prefix = 203.0.113.5/24',
          '',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(
      config.services.map((s) => s.name),
      ['good'],
    );
    assert.equal(result.services, 1);
    const errors = result.notes
      .filter((n) => n.kind === 'error')
      .map((n) => `${n.where.split(' ')[0]}: ${n.message}`);
    assert.equal(errors.length, 6, errors.join('\n'));
    assert.match(errors.join('\n'), /\[noprefix\]\.ip_prefix: is required/);
    assert.match(errors.join('\n'), /\[v6\]\.ip_prefix: is IPv6 but \[daemon\] ipv6 = false/);
    assert.match(errors.join('\n'), /\[badbool\]\.ip_check_disabled: not a boolean: "maybe"/);
    assert.match(
      errors.join('\n'),
      /\[percent\]\.check_cmd: .*"%" must be followed by "%" or "\("/,
    );
    assert.match(
      errors.join('\n'),
      /\[twin\]\.ip_prefix: 203\.0\.113\.1\/32 is also the ip_prefix of \[good\]/,
    );
    assert.match(errors.join('\n'), /\[hostbits\]\.ip_prefix: .*did you mean 203\.0\.113\.0\/24\?/);
    assert.equal(result.errors, 6);
  });

  it('quotes, backslashes, tabs and non-ASCII in a command survive into TOML', () => {
    const { config } = convert([
      { path: 'd.conf', text: daemon },
      {
        path: 's.conf',
        text: `[q"uote]\ncheck_disabled = false\nip_prefix = 203.0.113.1\ncheck_cmd = /bin/check "a \\"b\\" c" 'd\\e' tab\\\tx café\n`,
      },
    ]);
    const service = config.services[0];
    assert.equal(service?.name, 'q-uote');
    assert.deepEqual((service?.checks[0]?.spec as { command: string[] }).command, [
      '/bin/check',
      'a "b" c',
      'd\\e',
      'tab\tx',
      'café',
    ]);
  });

  it('the same variable for both files when one BIRD reads both is an error', () => {
    const result = convertAnycastHealthchecker([
      {
        path: 'd.conf',
        text: `${daemon}bird_variable = ANYCAST_ADVERTISE\nbird6_variable = ANYCAST_ADVERTISE\n`,
      },
      {
        path: 's.conf',
        text: '[a]\ncheck_cmd = /bin/true\nip_prefix = 203.0.113.1\ncheck_disabled = false\n',
      },
    ]);
    assert.deepEqual(
      result.notes.filter((n) => n.kind === 'error').map((n) => n.where),
      ['daemon.bird6_variable (d.conf:6)'],
    );
    assert.match(result.toml, /^# ERROR daemon\.bird6_variable .*reconfigure the same BIRD/m);
  });

  it('a service section in two files is an error naming both, and left out', () => {
    const svc = (prefix: string) =>
      `[dns]\ncheck_cmd = /bin/true\nip_prefix = ${prefix}\ncheck_disabled = false\n`;
    const { result, config } = convert([
      { path: 'd.conf', text: daemon },
      { path: '/etc/anycast-healthchecker.d/a.conf', text: svc('203.0.113.1') },
      {
        path: '/etc/anycast-healthchecker.d/b.conf',
        text: `${svc('203.0.113.2')}[web]\ncheck_cmd = /bin/true\nip_prefix = 203.0.113.80\ncheck_disabled = false\n`,
      },
    ]);
    const errors = result.notes.filter((n) => n.kind === 'error');
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]?.message ?? '',
      /^is defined in 2 files \(\/etc\/anycast-healthchecker\.d\/a\.conf:1 and \/etc\/anycast-healthchecker\.d\/b\.conf:1\)/,
    );
    assert.deepEqual(
      config.services.map((s) => s.name),
      ['web'],
    );
    assert.equal(result.services, 1);
  });

  it('log_format_journalctl (upstream since 2025) is known: true says journald needs nothing, false is silent', () => {
    const service = {
      path: 's.conf',
      text: '[a]\ncheck_cmd = /bin/true\nip_prefix = 203.0.113.1\ncheck_disabled = false\n',
    };
    const on = convert([
      { path: 'd.conf', text: `${daemon}log_format_journalctl = true\n` },
      service,
    ]);
    assert.deepEqual(
      on.result.notes.map((n) => [n.kind, n.where]),
      [['changed', 'daemon.log_format_journalctl (d.conf:5)']],
    );
    assert.match(on.result.notes[0]?.message ?? '', /journald/);
    const off = convert([
      { path: 'd.conf', text: `${daemon}log_format_journalctl = false\n` },
      service,
    ]);
    assert.deepEqual(off.result.notes, []);
    const bad = convertAnycastHealthchecker([
      { path: 'd.conf', text: `${daemon}log_format_journalctl = maybe\n` },
      service,
    ]);
    assert.equal(bad.errors, 1);
  });

  it('both families off is an error', () => {
    const result = convertAnycastHealthchecker([
      { path: 'd.conf', text: '[daemon]\nipv4 = false\n' },
    ]);
    assert.equal(result.errors, 1);
    assert.match(result.notes[0]?.message ?? '', /both false/);
  });
});
