// [announcers.bird]: anycast-healthchecker's defaults, one BIRD or BIRD 1.x's two, mistakes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeBirdSettings, parseBirdSettings } from '../../../../src/announcers/bird/index.js';
import { IssueList } from '../../../../src/validation/index.js';

function parse(raw: unknown) {
  const issues = new IssueList();
  const settings = parseBirdSettings(raw, ['announcers', 'bird'], issues);
  return { settings, issues: issues.items.map((i) => `${i.path}: ${i.message}`) };
}

describe('parseBirdSettings', () => {
  it('an absent table: anycast-healthchecker’s files, variables and dummies; one BIRD', () => {
    const { settings, issues } = parse({});
    assert.deepEqual(issues, []);
    assert.deepEqual(settings, {
      ipv4: {
        family: 'ipv4',
        file: '/var/lib/anycast-healthchecker/anycast-prefixes.conf',
        variable: 'ACAST_PS_ADVERTISE',
        dummyPrefix: '10.189.200.255/32',
      },
      ipv6: {
        family: 'ipv6',
        file: '/var/lib/anycast-healthchecker/6/anycast-prefixes.conf',
        variable: 'ACAST6_PS_ADVERTISE',
        dummyPrefix: '2001:db8::1/128',
      },
      instances: [
        {
          name: 'bird',
          families: ['ipv4', 'ipv6'],
          configure: ['birdc', '-v', 'configure'],
          custom: false,
          birdc: ['birdc'],
        },
      ],
      timeoutMs: 5000,
      checkRoutes: true,
      resyncMs: 30000,
    });
  });

  it('a socket, a birdc path, IPv6 off', () => {
    const { settings } = parse({
      birdc: '/usr/sbin/birdc',
      socket: '/run/bird/bird.ctl',
      ipv6_file: false,
      timeout: 2.5,
    });
    assert.equal(settings?.ipv6, undefined);
    assert.deepEqual(settings?.instances, [
      {
        name: 'bird',
        families: ['ipv4'],
        configure: ['/usr/sbin/birdc', '-s', '/run/bird/bird.ctl', '-v', 'configure'],
        custom: false,
        birdc: ['/usr/sbin/birdc', '-s', '/run/bird/bird.ctl'],
      },
    ]);
    assert.equal(settings?.timeoutMs, 2500);
  });

  it('BIRD 1.x: a separate bird6 by its socket or its command', () => {
    const bySocket = parse({ socket: '/run/bird/bird.ctl', ipv6_socket: '/run/bird/bird6.ctl' });
    assert.deepEqual(
      bySocket.settings?.instances.map((i) => [i.name, i.families, i.configure]),
      [
        ['bird', ['ipv4'], ['birdc', '-s', '/run/bird/bird.ctl', '-v', 'configure']],
        ['bird6', ['ipv6'], ['birdc', '-s', '/run/bird/bird6.ctl', '-v', 'configure']],
      ],
    );
    const byCommand = parse({
      reconfigure_command: 'sudo /usr/sbin/birdc configure',
      ipv6_reconfigure_command: ['sudo', '/usr/sbin/birdc6', 'configure'],
    });
    assert.deepEqual(
      byCommand.settings?.instances.map((i) => [i.name, i.configure, i.custom, i.birdc]),
      [
        ['bird', ['sudo', '/usr/sbin/birdc', 'configure'], true, undefined],
        ['bird6', ['sudo', '/usr/sbin/birdc6', 'configure'], true, undefined],
      ],
    );
  });

  it('mistakes are named at their keys', () => {
    assert.deepEqual(parse({ ipv4_variable: 'ACAST-PS', ipv4_file: 'relative.conf' }).issues, [
      'announcers.bird.ipv4_file: must be an absolute path, got "relative.conf"',
      'announcers.bird.ipv4_variable: must be a BIRD symbol: a letter or "_", then letters, digits or "_", got "ACAST-PS"',
    ]);
    assert.deepEqual(parse({ ipv4_dummy_prefix: '2001:db8::1/128' }).issues, [
      'announcers.bird.ipv4_dummy_prefix: must be an IPv4 prefix, got "2001:db8::1/128"',
    ]);
    assert.deepEqual(parse({ ipv6_dummy_prefix: '2001:db8::1/64' }).issues, [
      'announcers.bird.ipv6_dummy_prefix: prefix "2001:db8::1/64" has host bits set; did you mean 2001:db8::/64?',
    ]);
    assert.deepEqual(parse({ ipv4_file: false, ipv6_file: false }).issues, [
      'announcers.bird.ipv4_file: ipv4_file and ipv6_file are both false: BIRD would be told nothing',
    ]);
    assert.deepEqual(
      parse({ ipv6_file: '/var/lib/anycast-healthchecker/anycast-prefixes.conf' }).issues,
      [
        'announcers.bird.ipv6_file: is the same file as ipv4_file (/var/lib/anycast-healthchecker/anycast-prefixes.conf); each family needs its own',
      ],
    );
    assert.deepEqual(parse({ ipv6_variable: 'ACAST_PS_ADVERTISE' }).issues, [
      "announcers.bird.ipv6_variable: is the same name as ipv4_variable (ACAST_PS_ADVERTISE) and one BIRD reads both files, so it would see it defined twice; rename one, or name the second BIRD (BIRD 1.x's bird6) with ipv6_socket or ipv6_reconfigure_command",
    ]);
    assert.deepEqual(parse({ ipv6_socket: '/run/bird/bird6.ctl', ipv6_file: false }).issues, [
      'announcers.bird.ipv6_socket: names a separate IPv6 BIRD, but ipv6_file = false',
    ]);
    assert.deepEqual(parse({ reconfigure_command: 'birdc configure | tee' }).issues.length, 1);
    assert.match(
      parse({ sokcet: '/x' }).issues[0] ?? '',
      /sokcet: unknown key \(did you mean 'socket'\?\)/,
    );
  });

  it('the same variable in both files is right when bird and bird6 each read one', () => {
    const same = { ipv4_variable: 'ANYCAST_ADVERTISE', ipv6_variable: 'ANYCAST_ADVERTISE' };
    assert.deepEqual(parse({ ...same, ipv6_socket: '/run/bird6.ctl' }).issues, []);
    assert.deepEqual(parse({ ...same, ipv6_reconfigure_command: 'birdc6 configure' }).issues, []);
    assert.equal(parse({ ...same, ipv6_file: false }).issues.length, 0);
    assert.equal(parse(same).issues.length, 1);
  });

  it('check-config describes the files and the commands', () => {
    const one = parse({ socket: '/run/bird/bird.ctl' }).settings;
    assert.ok(one);
    assert.equal(
      describeBirdSettings(one),
      'IPv4 /var/lib/anycast-healthchecker/anycast-prefixes.conf (ACAST_PS_ADVERTISE), IPv6 /var/lib/anycast-healthchecker/6/anycast-prefixes.conf (ACAST6_PS_ADVERTISE); birdc -s /run/bird/bird.ctl -v configure',
    );
    const two = parse({ ipv4_file: false, ipv6_socket: '/run/bird/bird6.ctl' }).issues;
    assert.deepEqual(two, []);
    const split = parse({ ipv6_socket: '/run/bird/bird6.ctl' }).settings;
    assert.ok(split);
    assert.match(
      describeBirdSettings(split),
      /; bird: birdc -v configure; bird6: birdc -s \/run\/bird\/bird6\.ctl -v configure$/,
    );
  });
});
