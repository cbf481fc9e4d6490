// One home per [bgp] rule: the file (through the config loader) and code (through
// BgpSpeaker) are checked by the same rules in src/bgp/options.ts, so each bad option
// gets the same reason at the same key, whichever way it arrives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BgpSpeaker, SpeakerConfigError, type PeerOptions } from '../../../src/bgp/index.js';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { SERVICE, testCheckTypes } from '../config/support.js';

interface Case {
  readonly name: string;
  /** The peer's keys as a TOML table body. */
  readonly toml: string;
  /** The same peer as BgpSpeaker options. */
  readonly options: PeerOptions;
  readonly key: string;
}

const cases: Case[] = [
  {
    name: 'hold time 2',
    toml: 'address = "198.18.0.2"\nasn = 65000\nhold_time = 2\n',
    options: { address: '198.18.0.2', asn: 65000, holdTime: 2 },
    key: 'peers[0].hold_time',
  },
  {
    name: 'IPv6 next hop on an IPv4-only peer',
    toml: 'address = "198.18.0.2"\nasn = 65000\nfamilies = ["ipv4"]\nnext_hop = { ipv6 = "2001:db8::1" }\n',
    options: {
      address: '198.18.0.2',
      asn: 65000,
      families: ['ipv4'],
      nextHop: { ipv6: '2001:db8::1' },
    },
    key: 'peers[0].next_hop.ipv6',
  },
  {
    name: 'max_connect_retry below connect_retry',
    toml: 'address = "198.18.0.2"\nasn = 65000\nconnect_retry = 10\nmax_connect_retry = 5\n',
    options: { address: '198.18.0.2', asn: 65000, connectRetry: 10, maxConnectRetry: 5 },
    key: 'peers[0].max_connect_retry',
  },
  {
    name: 'LOCAL_PREF on an eBGP peer',
    toml: 'address = "198.18.0.2"\nasn = 65000\nlocal_pref = 200\n',
    options: { address: '198.18.0.2', asn: 65000, localPref: 200 },
    key: 'peers[0].local_pref',
  },
  {
    name: 'a bad large community',
    toml: 'address = "198.18.0.2"\nasn = 65000\nlarge_communities = ["1:2"]\n',
    options: { address: '198.18.0.2', asn: 65000, largeCommunities: ['1:2'] },
    key: 'peers[0].large_communities[0]',
  },
];

function fileIssue(peerToml: string): { path: string; message: string } {
  const toml = `[bgp]\nasn = 65001\nrouter_id = "198.18.0.1"\n[[bgp.peers]]\n${peerToml}${SERVICE}`;
  try {
    parseConfig(toml, 'test.toml', { checkTypes: testCheckTypes });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.issues.length, 1, JSON.stringify(error.issues));
    return error.issues[0]!;
  }
  assert.fail('the file was accepted');
}

function speakerIssue(options: PeerOptions): SpeakerConfigError {
  try {
    new BgpSpeaker({ asn: 65001, routerId: '198.18.0.1', peers: [options] });
  } catch (error) {
    assert.ok(error instanceof SpeakerConfigError, String(error));
    return error;
  }
  assert.fail('the speaker accepted the options');
}

describe('[bgp] rules: one home for the file and the speaker', () => {
  for (const c of cases)
    it(c.name, () => {
      const file = fileIssue(c.toml);
      const code = speakerIssue(c.options);
      assert.equal(file.path, `bgp.${c.key}`);
      assert.equal(code.key, c.key);
      assert.equal(code.message, `${c.key}: ${file.message}`);
    });

  it('addPeer checks a peer added later by the same rules', () => {
    const speaker = new BgpSpeaker({ asn: 65001, routerId: '198.18.0.1' });
    assert.throws(
      () => speaker.addPeer({ address: '198.18.0.3', asn: 65000, passive: true }),
      (error: unknown) =>
        error instanceof SpeakerConfigError &&
        error.key === 'peers[0].passive' &&
        /must listen/.test(error.message),
    );
  });
});

describe('[bgp] peer security options: password, password_file, ttl_security', () => {
  const SECRET = 'Sup3r-s3cret-pw';
  const more: Case[] = [
    {
      name: 'password and password_file together',
      toml: `address = "198.18.0.2"\nasn = 65000\npassword = "${SECRET}"\npassword_file = "/etc/p"\n`,
      options: { address: '198.18.0.2', asn: 65000, password: SECRET, passwordFile: '/etc/p' },
      key: 'peers[0].password_file',
    },
    {
      name: 'a relative password_file',
      toml: 'address = "198.18.0.2"\nasn = 65000\npassword_file = "peer.pass"\n',
      options: { address: '198.18.0.2', asn: 65000, passwordFile: 'peer.pass' },
      key: 'peers[0].password_file',
    },
    {
      name: 'a password over 80 bytes',
      toml: `address = "198.18.0.2"\nasn = 65000\npassword = "${SECRET.repeat(6)}"\n`,
      options: { address: '198.18.0.2', asn: 65000, password: SECRET.repeat(6) },
      key: 'peers[0].password',
    },
    {
      name: 'an empty password',
      toml: 'address = "198.18.0.2"\nasn = 65000\npassword = ""\n',
      options: { address: '198.18.0.2', asn: 65000, password: '' },
      key: 'peers[0].password',
    },
  ];
  for (const c of more)
    it(c.name, () => {
      const file = fileIssue(c.toml);
      const code = speakerIssue(c.options);
      assert.equal(file.path, `bgp.${c.key}`);
      assert.equal(code.key, c.key);
      assert.equal(code.message, `${c.key}: ${file.message}`);
      assert.ok(!file.message.includes(SECRET.slice(0, 6)), 'the message names the password');
    });

  it('a good password, ttl_security and an absolute password_file are accepted', () => {
    const toml = (body: string): string =>
      `[bgp]\nasn = 65001\nrouter_id = "198.18.0.1"\n[[bgp.peers]]\naddress = "198.18.0.2"\nasn = 65000\n${body}${SERVICE}`;
    const config = parseConfig(toml(`password = "${SECRET}"\nttl_security = true\n`), 't.toml', {
      checkTypes: testCheckTypes,
    });
    assert.deepEqual(
      { password: config.bgp?.peers[0]?.password, ttl: config.bgp?.peers[0]?.ttlSecurity },
      { password: SECRET, ttl: true },
    );
    const fromFile = parseConfig(
      toml('password_file = "/etc/anycast-guard/peer.pass"\n'),
      't.toml',
      {
        checkTypes: testCheckTypes,
      },
    );
    assert.equal(fromFile.bgp?.peers[0]?.passwordFile, '/etc/anycast-guard/peer.pass');
  });
});
