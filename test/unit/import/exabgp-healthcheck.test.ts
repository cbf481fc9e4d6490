// ExaBGP healthcheck options → anycast-guard services: each option's mapping, read back
// from the TOML written (smol-toml), and the notes for what has no equivalent.
// (The CLI test runs check-config on converted exabgp.conf fixtures.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import {
  argsFromCommandLine,
  commandArgv,
  configFileArgs,
  convertExabgpHealthcheck,
  executeHook,
  findHealthcheckLines,
  readAsPath,
  type ImportNote,
} from '../../../src/import/index.js';

type Table = Record<string, unknown>;

function convert(args: string, files?: Map<string, string>) {
  const result = convertExabgpHealthcheck({
    lines: [{ where: 'line', text: args, args: argsFromCommandLine([args]) ?? [] }],
    ...(files === undefined ? {} : { files }),
  });
  // Plain objects (smol-toml's have no prototype), for deepEqual.
  const toml = JSON.parse(JSON.stringify(parse(result.toml))) as Table;
  const services = (toml.services ?? {}) as Record<string, Table>;
  return { result, toml, services, service: Object.values(services)[0] };
}

function notesOf(notes: readonly ImportNote[], option: string): ImportNote[] {
  return notes.filter((n) => n.where.endsWith(` ${option}`));
}

function execOf(service: Table | undefined): Table {
  const exec = (service?.checks as Table | undefined)?.exec as Table[] | undefined;
  assert.ok(exec?.[0], 'no exec check');
  return exec[0];
}

describe('import exabgp-healthcheck: options', () => {
  it("takes ExaBGP's defaults: interval 5, fast-interval 1, timeout 5, rise 3, fall 3, metrics 100/1000", () => {
    const { result, service, services } = convert(
      '--cmd "curl -sf http://127.0.0.1/health" --ip 203.0.113.10',
    );
    assert.deepEqual(result.notes, []);
    assert.equal(result.services, 1);
    assert.deepEqual(Object.keys(services), ['healthcheck']);
    assert.deepEqual(execOf(service), {
      name: 'healthcheck',
      command: ['curl', '-sf', 'http://127.0.0.1/health'],
      interval: 5,
      timeout: 5,
      interval_while_changing: 1,
    });
    assert.deepEqual((service?.prefixes as Table).exabgp, ['203.0.113.10/32']);
    assert.equal(service?.rise, 3);
    assert.equal(service?.fall, 3);
    assert.equal(service?.hold_down, 0, 'ExaBGP has no hold-down');
    assert.deepEqual(service?.up, { med: 100 });
    assert.deepEqual(service?.down, { med: 1000 }, 'ExaBGP keeps announcing when down');
    assert.deepEqual(service?.addresses, ['203.0.113.10/32'], 'ip setup is on by default');
  });

  it('reads words as argparse does: --opt=value, -i5, unique prefixes, the last value wins, --ip adds up', () => {
    const { service } = convert(
      '-c /bin/true --interval=2 -t10 --fast 0.5 --rise 1 --rise 4 --fall=1 --ip 203.0.113.1 --ip 2001:db8::1',
    );
    assert.deepEqual(execOf(service), {
      name: 'healthcheck',
      command: ['/bin/true'],
      interval: 2,
      timeout: 10,
      interval_while_changing: 0.5,
    });
    assert.deepEqual([service?.rise, service?.fall], [4, 1]);
    assert.deepEqual((service?.prefixes as Table).exabgp, ['203.0.113.1/32', '2001:db8::1/128']);
  });

  it('what healthcheck would refuse is an ERROR and the service is left out (commented)', () => {
    for (const [args, message] of [
      ['--cmd x --ip 203.0.113.1 --frobnicate', /unrecognized option: --frobnicate/],
      ['--cmd x --ip 203.0.113.1 --d', /ambiguous option --d/],
      ['--cmd x --ip 203.0.113.1 --rise three', /--rise: invalid int value/],
      ['--cmd x --ip 203.0.113.1 --timeout 2.5', /--timeout: invalid int value/],
      ['--cmd x --ip 203.0.113.1/24', /host bits set/],
      ['--cmd x --ip', /--ip expects a value/],
    ] as const) {
      const { result, services } = convert(args);
      assert.equal(result.errors, 1, args);
      assert.match(result.notes[0]?.message ?? '', message);
      assert.equal(result.services, 0);
      assert.deepEqual(services, {}, 'commented out');
      assert.match(result.toml, /^# \[services\.healthcheck\]$/m);
    }
  });

  it('--cmd keeps /bin/sh only where it uses shell syntax', () => {
    assert.deepEqual(commandArgv("mysql -u check -e 'SELECT 1'"), [
      'mysql',
      '-u',
      'check',
      '-e',
      'SELECT 1',
    ]);
    for (const cmd of [
      'dig +short example.com | grep -q .',
      'test -f /run/ok && curl -sf http://x/',
      'check $HOST',
      'ls /srv/*.ok',
      'FOO=1 /usr/bin/check',
      'echo `date`',
    ])
      assert.deepEqual(commandArgv(cmd), ['/bin/sh', '-c', cmd], cmd);
  });

  it('--timeout longer than --interval is kept; --timeout 0 (no limit) becomes 60 s with a note', () => {
    const long = convert('--cmd /bin/true --ip 203.0.113.1 --interval 1');
    assert.deepEqual([execOf(long.service).interval, execOf(long.service).timeout], [1, 5]);
    assert.equal(execOf(long.service).interval_while_changing, undefined, 'not faster than 1 s');
    const none = convert('--cmd /bin/true --ip 203.0.113.1 --timeout 0');
    assert.equal(execOf(none.service).timeout, 60);
    assert.equal(notesOf(none.result.notes, '--timeout')[0]?.kind, 'changed');
  });

  it('--interval 0 (check once and exit) has no equivalent: ERROR', () => {
    const { result } = convert('--cmd /bin/true --ip 203.0.113.1 --interval 0');
    assert.equal(notesOf(result.notes, '--interval')[0]?.kind, 'error');
    assert.equal(result.services, 0);
  });

  it('--fast-interval slower than --interval is noted, not written', () => {
    const { result, service } = convert('--cmd /bin/true --ip 203.0.113.1 -f 10');
    assert.equal(execOf(service).interval_while_changing, undefined);
    assert.equal(notesOf(result.notes, '--fast-interval')[0]?.kind, 'changed');
  });

  it('metrics, communities, large communities and --as-path become up and down attributes', () => {
    const { result, service, toml } = convert(
      '--cmd /bin/true --ip 203.0.113.1 --up-metric 10 --down-metric 900 --community "64496:1 no-export" --disabled-community 64496:666 --large-community "64496:1:1 64496:2:2" --as-path "64496 64496" --down-as-path "[ 64496 64496 64496 64496 ]"',
    );
    assert.deepEqual(result.notes, []);
    assert.deepEqual(service?.up, {
      med: 10,
      communities: ['64496:1', 'no-export'],
      large_communities: ['64496:1:1', '64496:2:2'],
      prepend: 1,
    });
    assert.deepEqual(service?.down, {
      med: 900,
      communities: ['64496:666'],
      large_communities: ['64496:1:1', '64496:2:2'],
      prepend: 3,
    });
    assert.deepEqual(toml.announcers, { exabgp: { asn: 64496 } }, 'prepend repeats that AS');
  });

  it('an --as-path of other ASes, or bad communities, are noted', () => {
    const path = convert('--cmd /bin/true --ip 203.0.113.1 --as-path "64496 64511"');
    assert.equal(notesOf(path.result.notes, '--as-path')[0]?.kind, 'no-equivalent');
    assert.equal((path.service?.up as Table).prepend, undefined);
    const bad = convert('--cmd /bin/true --ip 203.0.113.1 --community 70000:1');
    assert.equal(notesOf(bad.result.notes, '--community')[0]?.kind, 'error');
    assert.deepEqual(readAsPath('65001 65001 65001'), { asn: 65001, copies: 3 });
    assert.equal(readAsPath('65001 65002'), undefined);
  });

  it('services asking for different ASes to prepend: the second is an ERROR', () => {
    const result = convertExabgpHealthcheck({
      lines: [
        { where: 'a', text: '', args: ['--cmd', 'x', '--ip', '203.0.113.1', '--as-path', '1 1'] },
        { where: 'b', text: '', args: ['--cmd', 'x', '--ip', '203.0.113.2', '--as-path', '2 2'] },
      ],
    });
    assert.equal(result.errors, 1);
    assert.match(
      result.notes[0]?.message ?? '',
      /one asn for every service: 2 here, 1 at a --as-path/,
    );
    assert.equal(result.services, 1);
  });

  it('--withdraw-on-down: down = "withdraw"; --dynamic-ip-setup then removes the addresses while down', () => {
    const { service, result } = convert(
      '--cmd /bin/true --ip 203.0.113.1 --withdraw-on-down --dynamic-ip-setup',
    );
    assert.equal(service?.down, 'withdraw');
    assert.equal(service?.withdraw_address_when_down, true);
    assert.deepEqual(result.notes, []);
    const degraded = convert('--cmd /bin/true --ip 203.0.113.1 --dynamic-ip-setup');
    assert.equal(degraded.service?.withdraw_address_when_down, undefined);
    assert.equal(notesOf(degraded.result.notes, '--dynamic-ip-setup')[0]?.kind, 'no-equivalent');
  });

  it('--local-preference is up.local_pref; a degraded down cannot carry it (noted)', () => {
    const { service, result } = convert('--cmd /bin/true --ip 203.0.113.1 --local-preference 200');
    assert.equal((service?.up as Table).local_pref, 200);
    assert.equal(notesOf(result.notes, '--local-preference')[0]?.kind, 'changed');
  });

  it('--disable is a file check counted at once (rise and fall 1); a relative path is an ERROR', () => {
    const { service, result } = convert(
      '--cmd /bin/true --ip 203.0.113.1 --interval 2 --disable /etc/exabgp/maintenance',
    );
    assert.deepEqual((service?.checks as Table).file, [
      { name: 'disable', path: '/etc/exabgp/maintenance', interval: 2, rise: 1, fall: 1 },
    ]);
    assert.equal(notesOf(result.notes, '--disable')[0]?.kind, 'changed');
    const relative = convert('--cmd /bin/true --ip 203.0.113.1 --disable maintenance');
    assert.equal(notesOf(relative.result.notes, '--disable')[0]?.kind, 'error');
  });

  it('no --cmd and no --disable: always up in ExaBGP, announce = "always" here', () => {
    const { service, result } = convert('--ip 203.0.113.1');
    assert.equal(service?.announce, 'always');
    assert.equal(service?.checks, undefined);
    assert.equal(result.notes[0]?.kind, 'changed');
  });

  it('no --ip: ExaBGP used the addresses on lo at start, unknown here: ERROR', () => {
    const { result } = convert('--cmd /bin/true --label web');
    assert.equal(result.errors, 1);
    assert.match(result.notes[0]?.message ?? '', /no --ip: .* labelled lo:web/);
  });

  it('--ip-ifname puts the addresses on that device; --no-ip-setup adds none', () => {
    const { service } = convert('--cmd /bin/true --ip 203.0.113.1 --ip-ifname 203.0.113.1%eth1');
    assert.equal(service?.device, 'eth1');
    const none = convert('--cmd /bin/true --ip 203.0.113.1 --no-ip-setup');
    assert.equal(none.service?.addresses, undefined);
  });

  it('--no-ack and --next-hop go to [announcers.exabgp]; names come from --name, then --label', () => {
    const { toml, services } = convert(
      '--cmd /bin/true --ip 203.0.113.1 --no-ack --next-hop 198.18.0.1 --name "web (eu)" --label web',
    );
    assert.deepEqual(toml.announcers, { exabgp: { ack: false, next_hop: '198.18.0.1' } });
    assert.deepEqual(Object.keys(services), ['web--eu-']);
  });

  it('a --config file gives options first; the run line overrides them; a missing one is an ERROR', () => {
    const file =
      '# comment\nname = dns\nip = 203.0.113.53\ncommand = /bin/true\ninterval = 10\nwithdraw-on-down\n';
    assert.deepEqual(configFileArgs(file).slice(0, 2), ['--name', 'dns']);
    const { services } = convert(
      '--config /etc/exabgp/dns --interval 3',
      new Map([['/etc/exabgp/dns', file]]),
    );
    assert.deepEqual(Object.keys(services), ['dns']);
    assert.equal(execOf(services.dns).interval, 3);
    assert.equal(services.dns?.down, 'withdraw');
    const missing = convert('--config /etc/exabgp/gone');
    assert.equal(missing.result.errors, 1);
  });

  it('every option of healthcheck is mapped or gets a note', () => {
    const base = '--cmd /bin/true --ip 203.0.113.1 --ip 203.0.113.2';
    const baseline = convert(base);
    const options = [
      '--interval 7',
      '--fast-interval 2',
      '--timeout 3',
      '--rise 5',
      '--fall 5',
      '--ip 203.0.113.3',
      '--no-ip-setup',
      '--label web',
      '--up-metric 7',
      '--down-metric 7',
      '--disabled-metric 7',
      '--community 1:1',
      '--large-community 1:1:1',
      '--as-path "1 1"',
      '--up-as-path "1 1"',
      '--down-as-path "1 1"',
      '--local-preference 7',
      '--withdraw-on-down',
      '--disable /etc/x',
      '--execute "echo x"',
      '--up-execute "echo x"',
      '--down-execute "echo x"',
      '--disabled-execute "echo x"',
      '--extended-community target:1:1',
      '--disabled-community 1:2',
      '--disabled-as-path "1 1"',
      '--path-id 1',
      '--neighbor 198.18.0.2',
      '--debounce',
      '--sudo',
      '--user exabgp',
      '--group exabgp',
      '--pid /run/h.pid',
      '--silent',
      '--no-syslog',
      '--syslog-facility local0',
      '--debug',
      '--no-ack',
      '--next-hop 198.18.0.1',
      '--name web',
      '--increase 5',
      '--start-ip 1',
      '--deaggregate-networks',
      '--label-exact-match',
      '--dynamic-ip-setup',
      '--ip-ifname 203.0.113.1%eth1',
    ];
    for (const option of options) {
      const { result } = convert(`${base} ${option}`);
      const flag = option.split(' ')[0] ?? '';
      const noted = result.notes.some((n) => n.where.endsWith(` ${flag}`));
      assert.ok(
        noted || result.toml !== baseline.result.toml.replace(base, `${base} ${option}`),
        `${option}: neither mapped nor noted`,
      );
    }
  });
});

describe('import exabgp-healthcheck: --execute hooks', () => {
  function run(argv: string[], state: string, previous: string): Promise<void> {
    const args = argv
      .slice(1)
      .map((a) => a.replace('{state}', state).replace('{previous}', previous));
    return new Promise((resolve, reject) => {
      execFile(argv[0] ?? '', args, (error) => {
        if (error === null) resolve();
        else reject(new Error(`hook failed: ${error.message}`));
      });
    });
  }

  it("runs the state's commands, then --execute's, with STATE as ExaBGP names it", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ag-hook-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const log = join(dir, 'log');
    const argv = executeHook({
      up: [`echo "up $STATE" >> ${log}`, `exit 3`],
      down: [`echo "down $STATE" >> ${log}`],
      disabled: [`echo "disabled $STATE" >> ${log}`],
      any: [`echo "any $STATE" >> ${log}`],
    });
    assert.ok(
      argv.every((a) => !/\{(?!state\}|previous\})/.test(a)),
      'only placeholders in braces',
    );
    await run(argv, 'up', 'down');
    await run(argv, 'down', 'up');
    await run(argv, 'drained', 'up');
    assert.deepEqual((await readFile(log, 'utf8')).trim().split('\n'), [
      'up UP',
      'any UP',
      'down DOWN',
      'any DOWN',
      'disabled DISABLED',
      'any DISABLED',
    ]);
  });

  it('a command with {…} cannot go into on_change: ERROR', () => {
    const { result } = convert('--cmd /bin/true --ip 203.0.113.1 --execute "echo ${STATE}"');
    assert.equal(notesOf(result.notes, '--execute')[0]?.kind, 'error');
  });
});

describe('import exabgp-healthcheck: finding the lines', () => {
  it('finds the healthcheck processes of an exabgp.conf, at any depth, past comments and quotes', () => {
    const text = [
      '# process commented { run python3 -m exabgp healthcheck --cmd x; }',
      'group g {',
      '  process one {',
      '    run /etc/exabgp/processes/healthcheck.py --cmd "a; b { c }" --ip 203.0.113.1;',
      '    encoder text;',
      '  }',
      '}',
      "process two { run exabgp --run healthcheck --cmd='x y'; }",
      'process quoted { run "/usr/bin/healthcheck.py --cmd \'/bin/true\' --ip 203.0.113.2"; }',
      'process other {',
      '  run /usr/local/bin/announce.sh;',
      '}',
    ].join('\n');
    const found = findHealthcheckLines('e.conf', text);
    assert.deepEqual(
      found.lines.map((l) => [l.where, l.process, l.args]),
      [
        ['e.conf:4', 'one', ['--cmd', 'a; b { c }', '--ip', '203.0.113.1']],
        ['e.conf:8', 'two', ['--cmd=x y']],
        ['e.conf:9', 'quoted', ['--cmd', '/bin/true', '--ip', '203.0.113.2']],
      ],
    );
    assert.deepEqual(
      found.others.map((o) => o.where),
      ['e.conf:11'],
    );
  });

  it('the command line may be the options, the command, or the run line', () => {
    assert.deepEqual(argsFromCommandLine(['--cmd', 'x']), ['--cmd', 'x']);
    assert.deepEqual(argsFromCommandLine(['python3', '-m', 'exabgp', 'healthcheck', '-i', '1']), [
      '-i',
      '1',
    ]);
    assert.deepEqual(argsFromCommandLine(['run /usr/bin/healthcheck.py --cmd "a b";']), [
      '--cmd',
      'a b',
    ]);
    assert.equal(argsFromCommandLine(['/usr/bin/other', '--cmd', 'x']), undefined);
  });
});
