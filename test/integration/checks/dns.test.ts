import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { createDnsCheck, dnsCheck } from '../../../src/checks/dns.js';
import { runCheck } from '../../../src/checks/runner.js';
import type { CheckResult } from '../../../src/checks/types.js';
import { type DnsTestServer, startDnsServer } from './dns-server.js';
import { common, runOnce } from './helpers.js';

describe('dns check', () => {
  let server: DnsTestServer;
  let v6: DnsTestServer;
  before(async () => {
    server = await startDnsServer();
    v6 = await startDnsServer('::1');
  });
  after(async () => {
    await server.close();
    await v6.close();
  });

  function query(input: Record<string, unknown>, timeout = 5): Promise<CheckResult> {
    const spec = dnsCheck.schema.parse({ server: `127.0.0.1:${server.port}`, ...input });
    const check = createDnsCheck(spec, common('dns', timeout));
    return timeout < 5 ? runCheck(check) : runOnce(check);
  }

  it('passes when the expected addresses are among the answers', async () => {
    const result = await query({ name: 'example.test', type: 'A', expect: ['203.0.113.11'] });
    assert.equal(result.ok, true, result.reason);
    assert.match(result.reason, /^NOERROR, 2 A \(203\.0\.113\.10, 203\.0\.113\.11\) in \d+ ms$/);
  });

  it('compares IPv6 addresses canonically', async () => {
    const result = await query({
      name: 'example.test',
      type: 'AAAA',
      expect: ['2001:0DB8:0:0::0001'],
    });
    assert.equal(result.ok, true, result.reason);
  });

  it('fails naming what is missing and what came', async () => {
    const result = await query({
      name: 'example.test',
      type: 'A',
      expect: ['203.0.113.10', '203.0.113.99'],
    });
    assert.deepEqual(
      [result.ok, result.reason],
      [
        false,
        'missing 203.0.113.99 in the A answers for example.test (got: 203.0.113.10, 203.0.113.11)',
      ],
    );
  });

  it('compares names case-insensitively without the trailing dot, and each record type by its data', async () => {
    const cases: [string, string, string][] = [
      ['www.example.test', 'CNAME', 'EXAMPLE.test.'],
      ['www.example.test', 'A', '203.0.113.10'], // through the CNAME
      ['example.test', 'TXT', 'v=spf1 -all'], // strings concatenated
      ['example.test', 'MX', '10 mail.example.test.'],
      ['example.test', 'MX', 'mail.example.test'],
      ['example.test', 'NS', 'ns1.example.test'],
      ['example.test', 'SOA', 'ns1.example.test'],
      [
        'example.test',
        'SOA',
        'ns1.example.test hostmaster.example.test 2024010101 3600 600 86400 60',
      ],
      ['10.113.0.203.in-addr.arpa', 'PTR', 'example.test'],
      ['_sip._tcp.example.test', 'SRV', '10 5 5060 sip.example.test'],
      ['_sip._tcp.example.test', 'SRV', 'sip.example.test'],
    ];
    for (const [name, type, expected] of cases) {
      const result = await query({ name, type, expect: [expected] });
      assert.equal(result.ok, true, `${name} ${type} ${expected}: ${result.reason}`);
    }
    const wrongTxt = await query({ name: 'example.test', type: 'TXT', expect: ['V=SPF1 -all'] });
    assert.equal(wrongTxt.ok, false, 'TXT is compared exactly');
    const wrongMx = await query({
      name: 'example.test',
      type: 'MX',
      expect: ['20 mail.example.test'],
    });
    assert.equal(wrongMx.ok, false);
    assert.match(wrongMx.reason, /got: 10 mail\.example\.test/);
  });

  it('checks the rcode: NXDOMAIN fails by default and passes when expected', async () => {
    const missing = await query({ name: 'missing.example.test' });
    assert.deepEqual(
      [missing.ok, missing.reason],
      [false, 'NXDOMAIN for missing.example.test A, expected NOERROR'],
    );
    const expected = await query({ name: 'missing.example.test', rcode: 'NXDOMAIN' });
    assert.equal(expected.ok, true, expected.reason);
    assert.match(expected.reason, /^NXDOMAIN as expected in \d+ ms$/);
    const servfail = await query({ name: 'servfail.example.test' });
    assert.equal(servfail.reason, 'SERVFAIL for servfail.example.test A, expected NOERROR');
  });

  it('fails an empty NOERROR answer when no answers are listed', async () => {
    const result = await query({ name: 'empty.example.test', type: 'A' });
    assert.deepEqual(
      [result.ok, result.reason],
      [false, 'NOERROR but no A answers for empty.example.test'],
    );
  });

  it('asks over TCP when told to', async () => {
    const before = server.queries.length;
    const result = await query({
      name: 'example.test',
      type: 'AAAA',
      protocol: 'tcp',
      expect: ['2001:db8::1'],
    });
    assert.equal(result.ok, true, result.reason);
    assert.deepEqual(server.queries.slice(before), [
      { protocol: 'tcp', name: 'example.test', type: 'AAAA' },
    ]);
  });

  it('retries a truncated UDP answer over TCP', async () => {
    const before = server.queries.length;
    const result = await query({
      name: 'big.example.test',
      type: 'TXT',
      expect: ['record number 39 with some padding to make the answer large'],
    });
    assert.equal(result.ok, true, result.reason);
    assert.match(result.reason, /^NOERROR, 40 TXT .* \(truncated over UDP, retried over TCP\)$/);
    assert.deepEqual(
      server.queries.slice(before).map((q) => q.protocol),
      ['udp', 'tcp'],
    );
  });

  it('fails a reply with the wrong id, the wrong question, or garbage', async () => {
    const badId = await query({ name: 'badid.example.test' });
    assert.equal(badId.ok, false);
    assert.match(badId.reason, /^reply id (\d+) does not match query id (\d+)$/);
    const badQuestion = await query({ name: 'badq.example.test' });
    assert.equal(
      badQuestion.reason,
      'reply question (other.example.test A) does not match the query (badq.example.test A)',
    );
    const garbage = await query({ name: 'garbage.example.test' });
    assert.equal(garbage.ok, false);
    assert.match(
      garbage.reason,
      new RegExp(`^malformed reply from 127\\.0\\.0\\.1:${server.port}: `),
    );
  });

  it('times out on a server that does not answer, over UDP and TCP', async () => {
    for (const protocol of ['udp', 'tcp']) {
      const result = await query({ name: 'slow.example.test', protocol }, 0.3);
      assert.deepEqual([result.ok, result.reason], [false, 'timed out after 0.3 s'], protocol);
    }
  });

  it('reports a refused port', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const spec = dnsCheck.schema.parse({ server: `127.0.0.1:${port}`, name: 'example.test' });
    const udp = await runOnce(createDnsCheck(spec, common('dns')));
    assert.equal(udp.ok, false);
    assert.match(udp.reason, new RegExp(`^udp 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('asks an IPv6 server', async () => {
    const spec = dnsCheck.schema.parse({
      server: `[::1]:${v6.port}`,
      name: 'example.test',
      expect: ['203.0.113.10'],
    });
    const result = await runOnce(createDnsCheck(spec, common('dns')));
    assert.equal(result.ok, true, result.reason);
    assert.equal(v6.queries.at(-1)?.protocol, 'udp');
  });
});
