import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTypeNames, checkTypes } from '../../../src/checks/index.js';

function parse(type: string, input: unknown): unknown {
  const entry = checkTypes[type];
  assert.ok(entry !== undefined, `no type ${type}`);
  const result = entry.schema.safeParse(input);
  assert.ok(result.success, `${type} ${JSON.stringify(input)}: ${result.error?.message ?? ''}`);
  return result.data;
}

/** "path: message" of every issue. */
function issues(type: string, input: unknown): string[] {
  const entry = checkTypes[type];
  assert.ok(entry !== undefined, `no type ${type}`);
  const result = entry.schema.safeParse(input);
  assert.ok(!result.success, `${type} ${JSON.stringify(input)} should be refused`);
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function defaultName(type: string, input: unknown): string {
  const entry = checkTypes[type];
  assert.ok(entry !== undefined);
  return entry.defaultName(parse(type, input) as never);
}

describe('check registry', () => {
  it('has every check type, each registered under its own name', () => {
    assert.deepEqual([...checkTypeNames].sort(), [
      'cabourotte',
      'dns',
      'exec',
      'file',
      'http',
      'nginx',
      'process',
      'system',
      'systemd',
      'tcp',
      'tls',
    ]);
    for (const name of checkTypeNames) assert.equal(checkTypes[name]?.type, name);
  });

  it('rejects unknown keys in every type', () => {
    const minimal: Record<string, unknown> = {
      exec: { command: ['true'] },
      http: { url: 'http://127.0.0.1/' },
      tcp: { host: '127.0.0.1', port: 80 },
      dns: { server: '127.0.0.1', name: 'example.org' },
      tls: { host: '127.0.0.1', port: 443 },
      file: { path: '/x' },
      cabourotte: { name: 'api' },
      system: { max_memory_percent: 90 },
      nginx: { url: 'http://127.0.0.1/status' },
      process: { name: 'named' },
      systemd: { unit: 'bind9.service' },
    };
    for (const name of checkTypeNames) {
      parse(name, minimal[name]);
      const found = issues(name, { ...(minimal[name] as object), bogus: 1 });
      assert.ok(
        found.some((i) => i.includes('bogus')),
        `${name}: ${found.join(' | ')}`,
      );
    }
  });

  it('only cabourotte items may be bare strings', () => {
    assert.deepEqual(
      checkTypeNames.filter((name) => checkTypes[name]?.fromString !== undefined),
      ['cabourotte'],
    );
    assert.deepEqual(parse('cabourotte', checkTypes.cabourotte?.fromString?.('api')), {
      name: 'api',
      url: 'http://127.0.0.1:9013',
    });
  });

  // The daemon's path (Daemon.addService): the type's create() on the parsed spec and the
  // common keys. Unknown types never get here: the config loader refuses them.
  it("a validated item builds through its type's create(), as the daemon does", () => {
    const spec = parse('file', { path: '/run/maintenance' });
    const type = checkTypes.file;
    assert.ok(type !== undefined);
    const check = type.create(
      spec as never,
      { name: 'maint', interval: 2, timeout: 1, fall: 1 },
      { service: 'dns' },
    );
    assert.equal(check.type, 'file');
    assert.equal(check.name, 'maint');
    assert.equal(check.interval, 2);
    assert.equal(check.fall, 1);
  });
});

describe('exec schema', () => {
  it('takes argv lists and shell-split strings', () => {
    assert.deepEqual(parse('exec', { command: ['/bin/check', 'a b'] }), {
      command: ['/bin/check', 'a b'],
    });
    assert.deepEqual(
      parse('exec', { command: `/bin/check --name 'a b' -v`, env: { A: '1' }, cwd: '/tmp' }),
      {
        command: ['/bin/check', '--name', 'a b', '-v'],
        env: { A: '1' },
        cwd: '/tmp',
      },
    );
    assert.equal(defaultName('exec', { command: ['/bin/check', 'a b'] }), `exec /bin/check 'a b'`);
  });

  it('explains bad commands', () => {
    assert.deepEqual(issues('exec', { command: 'check | grep ok' }), [
      'command: unquoted "|" at column 7 is shell syntax, but commands run without a shell; quote it, or use ["sh", "-c", "..."]',
    ]);
    assert.deepEqual(issues('exec', { command: 7 }), [
      'command: command must be a list of arguments or a command line string',
    ]);
    assert.deepEqual(issues('exec', { command: '  ' }), ['command: command must name a program']);
    assert.deepEqual(issues('exec', { command: ['true'], env: { 'A=B': 'x' } }), [
      'env: env names must be non-empty and must not contain "="',
    ]);
    assert.deepEqual(issues('exec', { command: ['true'], cwd: 'relative' }), [
      'cwd: cwd must be an absolute path',
    ]);
  });
});

describe('http schema', () => {
  it('defaults: GET, any 2xx, no redirects, verified TLS', () => {
    assert.deepEqual(parse('http', { url: 'https://127.0.0.1:8443/health' }), {
      url: 'https://127.0.0.1:8443/health',
      method: 'GET',
      status: [{ kind: 'class', hundreds: 2 }],
      insecure_skip_verify: false,
      follow_redirects: false,
      watch: false,
    });
    assert.equal(defaultName('http', { url: 'http://127.0.0.1/h' }), 'http http://127.0.0.1/h');
  });

  it('accepts a status code, a class, or a list; upper-cases the method', () => {
    const spec = parse('http', { url: 'http://127.0.0.1/', method: 'head', status: [204, '3XX'] });
    assert.deepEqual((spec as { status: unknown }).status, [
      { kind: 'code', code: 204 },
      { kind: 'class', hundreds: 3 },
    ]);
    assert.equal((spec as { method: string }).method, 'HEAD');
  });

  it('explains bad values', () => {
    const status =
      'status: status must be an HTTP status code (100-599), a class like "2xx", or a list of them';
    assert.deepEqual(issues('http', { url: 'http://x/', status: '6xx' }), [status]);
    assert.deepEqual(issues('http', { url: 'http://x/', status: 99 }), [status]);
    assert.deepEqual(issues('http', { url: 'ftp://x/' }), [
      'url: url must be an absolute http:// or https:// URL',
    ]);
    assert.deepEqual(issues('http', { url: 'http://x/', body_regex: '(' }), [
      'body_regex: body_regex is not a valid regular expression',
    ]);
    assert.deepEqual(
      issues('http', { url: 'http://x/', ca_file: '/ca.pem', server_name: 'a.test' }),
      [
        'ca_file: ca_file only applies to https URLs',
        'server_name: server_name only applies to https URLs',
      ],
    );
    assert.deepEqual(
      issues('http', { url: 'https://x/', ca_file: '/ca.pem', insecure_skip_verify: true }),
      ['ca_file: ca_file has no effect with insecure_skip_verify = true; remove one of them'],
    );
    assert.deepEqual(issues('http', { url: 'https://x/', server_name: '127.0.0.1' }), [
      'server_name: server_name must be a DNS name (TLS SNI does not carry IP addresses)',
    ]);
  });
});

describe('tcp, file, nginx, cabourotte schemas', () => {
  it('tcp', () => {
    assert.deepEqual(parse('tcp', { host: '::1', port: 53, send: 'PING\r\n', expect: '+PONG' }), {
      host: '::1',
      port: 53,
      send: 'PING\r\n',
      expect: '+PONG',
      watch: false,
    });
    assert.equal(defaultName('tcp', { host: '::1', port: 53 }), 'tcp [::1]:53');
    assert.deepEqual(issues('tcp', { host: '[::1]', port: 70000 }), [
      'host: host must be an IP address or a host name (no port, no brackets)',
      'port: port must be between 1 and 65535',
    ]);
  });

  it('watch and fail_fast on tcp and http', () => {
    assert.deepEqual(parse('tcp', { host: '::1', port: 53, watch: true }), {
      host: '::1',
      port: 53,
      watch: true,
    });
    const needsWatch =
      'fail_fast: fail_fast needs watch = true (only the held connection dropping can prove the service gone)';
    assert.deepEqual(issues('tcp', { host: '::1', port: 53, fail_fast: true }), [needsWatch]);
    assert.deepEqual(issues('http', { url: 'http://x/', fail_fast: true }), [needsWatch]);
    assert.deepEqual(issues('http', { url: 'http://x/', watch: 'yes' }), [
      'watch: watch must be true or false',
    ]);
    assert.equal(
      (parse('http', { url: 'http://x/', watch: true, fail_fast: false }) as { fail_fast: boolean })
        .fail_fast,
      false,
    );
  });

  it('process', () => {
    assert.deepEqual(parse('process', { pidfile: '/run/named/named.pid' }), {
      pidfile: '/run/named/named.pid',
      fail_fast: true,
    });
    assert.deepEqual(parse('process', { name: 'named', fail_fast: false }), {
      name: 'named',
      fail_fast: false,
    });
    assert.equal(defaultName('process', { name: 'named' }), 'process named');
    assert.equal(defaultName('process', { pidfile: '/run/x.pid' }), 'process /run/x.pid');
    const exactlyOne = ': a process check needs exactly one of pidfile or name';
    assert.deepEqual(issues('process', {}), [exactlyOne]);
    assert.deepEqual(issues('process', { name: 'a', pidfile: '/run/a.pid' }), [exactlyOne]);
    assert.deepEqual(issues('process', { pidfile: 'a.pid' }), [
      'pidfile: pidfile must be an absolute path',
    ]);
    assert.deepEqual(issues('process', { name: '' }), ['name: name must not be empty']);
  });

  it('file', () => {
    assert.deepEqual(parse('file', { path: '/etc/disable' }), {
      path: '/etc/disable',
      invert: false,
    });
    assert.equal(defaultName('file', { path: '/etc/disable' }), 'file /etc/disable');
    assert.deepEqual(issues('file', { path: 'disable' }), ['path: path must be an absolute path']);
  });

  it('nginx', () => {
    assert.deepEqual(parse('nginx', { url: 'http://127.0.0.1/stub' }), {
      url: 'http://127.0.0.1/stub',
      max_response_ms: 1000,
    });
    assert.deepEqual(issues('nginx', { url: 'http://127.0.0.1/stub', max_response_ms: 0 }), [
      'max_response_ms: max_response_ms must be positive',
    ]);
  });

  it('cabourotte', () => {
    assert.equal(defaultName('cabourotte', { name: 'api' }), 'cabourotte api');
    assert.deepEqual(issues('cabourotte', { name: '' }), ['name: name must not be empty']);
    assert.deepEqual(issues('cabourotte', { name: 'a', url: 'tcp://x' }), [
      'url: url must be an absolute http:// or https:// URL',
    ]);
  });
});

describe('dns schema', () => {
  it('parses servers with and without ports, upper-cases type and rcode', () => {
    assert.deepEqual(
      parse('dns', { server: '[::1]:5353', name: 'example.org.', type: 'aaaa', rcode: 'nxdomain' }),
      {
        server: { address: '::1', port: 5353 },
        name: 'example.org.',
        type: 'AAAA',
        expect: [],
        protocol: 'udp',
        rcode: 'NXDOMAIN',
      },
    );
    assert.deepEqual(
      (parse('dns', { server: '127.0.0.1', name: 'a.test' }) as { server: unknown }).server,
      {
        address: '127.0.0.1',
        port: 53,
      },
    );
    assert.equal(
      defaultName('dns', { server: '127.0.0.1:5353', name: 'a.test', type: 'TXT' }),
      'dns a.test TXT @127.0.0.1:5353',
    );
  });

  it('explains bad values', () => {
    assert.deepEqual(issues('dns', { server: 'ns1.example.org', name: 'a.test' }), [
      'server: server must be an IP address, optionally with a port ("127.0.0.1:5353", "[::1]:5353")',
    ]);
    assert.deepEqual(issues('dns', { server: '::1', name: 'a.test', type: 'ANY' }), [
      'type: type must be one of A, AAAA, TXT, CNAME, MX, NS, SOA, PTR, SRV',
    ]);
    assert.deepEqual(
      issues('dns', {
        server: '::1',
        name: 'a.test',
        type: 'A',
        expect: ['203.0.113.1', '2001:db8::1'],
      }),
      ['expect.1: "2001:db8::1" is not an IPv4 address (type A)'],
    );
    assert.deepEqual(issues('dns', { server: '::1', name: 'a..test' }), [
      'name: name must be a domain name such as "example.org"',
    ]);
    assert.deepEqual(issues('dns', { server: '::1', name: 'a.test', protocol: 'doh' }), [
      'protocol: protocol must be "udp" or "tcp"',
    ]);
    assert.deepEqual(
      issues('dns', { server: '::1', name: 'a.test', rcode: 'NXDOMAIN', expect: ['203.0.113.1'] }),
      ['expect: expect needs rcode NOERROR (answers cannot come with NXDOMAIN)'],
    );
  });
});

describe('tls schema', () => {
  it('takes host and port, or an https URL', () => {
    assert.deepEqual(parse('tls', { url: 'https://[::1]:8443/x' }), {
      host: '::1',
      port: 8443,
      min_days_valid: 0,
      verify_chain: true,
    });
    assert.deepEqual(
      parse('tls', { host: 'localhost', expect_san: '*.example.org', min_days_valid: 14 }),
      {
        host: 'localhost',
        port: 443,
        expect_san: '*.example.org',
        min_days_valid: 14,
        verify_chain: true,
      },
    );
    assert.equal(defaultName('tls', { url: 'https://127.0.0.1/' }), 'tls 127.0.0.1:443');
  });

  it('explains bad combinations', () => {
    assert.deepEqual(issues('tls', { port: 443 }), [': tls check needs host (and port) or url']);
    assert.deepEqual(issues('tls', { host: 'a.test', url: 'https://a.test/' }), [
      'url: give either url or host and port, not both',
    ]);
    assert.deepEqual(issues('tls', { host: 'a.test', verify_chain: false, ca_file: '/ca.pem' }), [
      'ca_file: ca_file has no effect with verify_chain = false; remove one of them',
    ]);
    assert.deepEqual(issues('tls', { url: 'http://a.test/' }), [
      'url: url must be an absolute https:// URL',
    ]);
  });
});

describe('system schema', () => {
  it('needs a threshold, and an interface exactly when rates are asked', () => {
    assert.deepEqual(parse('system', { max_cpu_percent: 95, interface: 'lo', max_tx_mbps: 900 }), {
      max_cpu_percent: 95,
      interface: 'lo',
      max_tx_mbps: 900,
    });
    assert.equal(
      defaultName('system', { max_cpu_percent: 95, interface: 'lo', max_tx_mbps: 900 }),
      'system cpu lo',
    );
    assert.deepEqual(issues('system', {}), [
      ': system check needs at least one of max_cpu_percent, max_memory_percent, max_rx_mbps, max_tx_mbps',
    ]);
    assert.deepEqual(issues('system', { max_rx_mbps: 10 }), [
      'interface: max_rx_mbps and max_tx_mbps need an interface',
    ]);
    assert.deepEqual(issues('system', { max_cpu_percent: 50, interface: 'lo' }), [
      'interface: interface is only used with max_rx_mbps or max_tx_mbps',
    ]);
    assert.deepEqual(issues('system', { max_memory_percent: 101 }), [
      'max_memory_percent: max_memory_percent must be between 0 and 100',
    ]);
  });
});
