// The [api] section: defaults when absent, host:port forms, false to disable, and its errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, type DaemonConfig } from '../../../src/config/index.js';
import { BGP, SERVICE, testCheckTypes } from './support.js';

const parse = (api: string): DaemonConfig =>
  parseConfig(BGP + SERVICE + api, 'api.toml', { checkTypes: testCheckTypes });

function issues(api: string): string[] {
  try {
    parse(api);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return assert.fail('the file was accepted');
}

describe('[api]', () => {
  it('applies the defaults when the section is absent', () => {
    assert.deepEqual(parse('').api, {
      listen: { host: '127.0.0.1', port: 9180 },
      socket: '/run/anycast-guard/control.sock',
      stateDir: '/var/lib/anycast-guard',
    });
  });

  it('reads IPv4 and bracketed IPv6 listen addresses, port 0 included', () => {
    assert.deepEqual(parse('[api]\nlisten = "[::1]:9180"\n').api.listen, {
      host: '::1',
      port: 9180,
    });
    assert.deepEqual(parse('[api]\nlisten = "127.0.0.2:0"\n').api.listen, {
      host: '127.0.0.2',
      port: 0,
    });
  });

  it('false disables the TCP listener or the socket', () => {
    const { api } = parse('[api]\nlisten = false\nsocket = false\n');
    assert.equal(api.listen, false);
    assert.equal(api.socket, false);
  });

  it('rejects listen addresses that are not IP:PORT', () => {
    for (const bad of [
      'localhost:9180',
      '::1:9180',
      '[127.0.0.1]:80',
      '127.0.0.1',
      '1.2.3.4:70000',
    ]) {
      const found = issues(`[api]\nlisten = "${bad}"\n`);
      assert.equal(found.length, 1, bad);
      assert.match(found[0] ?? '', /^api\.listen: /, bad);
    }
    assert.match(issues('[api]\nlisten = true\n')[0] ?? '', /^api\.listen: /);
  });

  it('wants absolute paths and knows its keys', () => {
    assert.deepEqual(
      issues('[api]\nsocket = "control.sock"\ntoken_file = "token"\nstate_dir = "state"\n').map(
        (i) => i.split(':')[0],
      ),
      ['api.socket', 'api.token_file', 'api.state_dir'],
    );
    assert.deepEqual(issues('[api]\ntoken = "x"\n'), [
      "api.token: unknown key (did you mean 'token_file'?)",
    ]);
  });
});
