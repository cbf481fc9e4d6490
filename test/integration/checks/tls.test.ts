import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createTlsCheck, tlsCheck, type TlsOptions } from '../../../src/checks/tls.js';
import { type Certs, common, makeCerts, runOnce } from './helpers.js';

interface TlsServer {
  readonly port: number;
  /** SNI names clients sent, recorded at their ClientHello (before the client's handshake ends). */
  readonly servernames: string[];
  close(): Promise<void>;
}

async function serveTls(
  pair: { key: Buffer; cert: Buffer },
  host = '127.0.0.1',
): Promise<TlsServer> {
  const servernames: string[] = [];
  const server = tls.createServer(
    {
      key: pair.key,
      cert: pair.cert,
      SNICallback: (name, callback) => {
        servernames.push(name);
        callback(null, undefined); // the default certificate
      },
    },
    (socket) => {
      socket.on('error', () => undefined);
      socket.end();
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    servernames,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function tlsc(input: unknown, options: TlsOptions = {}) {
  return createTlsCheck(tlsCheck.schema.parse(input), common('tls'), options);
}

describe('tls check', () => {
  let certs: Certs;
  let leaf: TlsServer;
  let expired: TlsServer;
  let self: TlsServer;
  before(async () => {
    certs = await makeCerts();
    leaf = await serveTls(certs.leaf);
    expired = await serveTls(certs.expired);
    self = await serveTls(certs.selfSigned);
  });
  after(async () => {
    await Promise.all([leaf.close(), expired.close(), self.close()]);
    await certs.remove();
  });

  it('passes a certificate that verifies against ca_file, with the days left and the name covered', async () => {
    const result = await runOnce(
      tlsc({
        host: '127.0.0.1',
        port: leaf.port,
        ca_file: certs.caFile,
        expect_san: 'a.example.org',
        server_name: 'localhost',
      }),
    );
    assert.equal(result.ok, true, result.reason);
    assert.match(
      result.reason,
      new RegExp(
        `^127\\.0\\.0\\.1:${leaf.port}: chain verified, (29\\.9|30) days left, covers a\\.example\\.org \\(handshake \\d+ ms\\)$`,
      ),
    );
    assert.equal(leaf.servernames.at(-1), 'localhost', 'server_name is sent as SNI');
  });

  it('sends no SNI for an IP host unless server_name is set; accepts an https URL', async () => {
    const before = leaf.servernames.length;
    const result = await runOnce(
      tlsc({ url: `https://127.0.0.1:${leaf.port}/`, ca_file: certs.caFile }),
    );
    assert.equal(result.ok, true, result.reason);
    assert.equal(leaf.servernames.length, before, 'no SNI for an IP');
    // localhost resolves to 127.0.0.1 or ::1 first depending on the host: serve on that one,
    // so the name is asserted on every host.
    const { address } = await lookup('localhost');
    const byNameServer = await serveTls(certs.leaf, address);
    try {
      const byName = await runOnce(
        tlsc({ host: 'localhost', port: byNameServer.port, ca_file: certs.caFile }),
      );
      assert.equal(byName.ok, true, `${address}: ${byName.reason}`);
      assert.deepEqual(byNameServer.servernames, ['localhost'], 'a host name is sent as SNI');
    } finally {
      await byNameServer.close();
    }
  });

  it('honours wildcards per RFC 6125: one whole left-most label only', async () => {
    const covers = async (name: string) =>
      (
        await runOnce(
          tlsc({ host: '127.0.0.1', port: leaf.port, ca_file: certs.caFile, expect_san: name }),
        )
      ).ok;
    assert.equal(await covers('a.example.org'), true);
    assert.equal(await covers('API.Example.ORG'), true, 'case-insensitive');
    assert.equal(await covers('www.example.net'), true);
    assert.equal(await covers('localhost'), true);
    assert.equal(await covers('127.0.0.1'), true, 'IP SAN');
    assert.equal(await covers('a.b.example.org'), false, 'a wildcard spans one label');
    assert.equal(await covers('example.org'), false, 'a wildcard needs a label');
    assert.equal(await covers('example.net'), false);
    assert.equal(await covers('::1'), false);
    const miss = await runOnce(
      tlsc({
        host: '127.0.0.1',
        port: leaf.port,
        ca_file: certs.caFile,
        expect_san: 'a.b.example.org',
      }),
    );
    assert.equal(
      miss.reason,
      `127.0.0.1:${leaf.port}: certificate does not cover a.b.example.org (subjectAltName: DNS:localhost, DNS:*.example.org, DNS:www.example.net, IP Address:127.0.0.1)`,
    );
  });

  it('ignores the subject CN when matching names', async () => {
    const result = await runOnce(
      tlsc({ host: '127.0.0.1', port: leaf.port, ca_file: certs.caFile, expect_san: 'leaf.test' }),
    );
    assert.equal(result.ok, false);
  });

  it('fails a chain it cannot verify, unless verify_chain = false', async () => {
    const unknown = await runOnce(tlsc({ host: '127.0.0.1', port: self.port }));
    assert.equal(unknown.ok, false);
    assert.match(
      unknown.reason,
      new RegExp(
        `^127\\.0\\.0\\.1:${self.port}: chain does not verify: self-signed certificate \\(DEPTH_ZERO_SELF_SIGNED_CERT\\)$`,
      ),
    );
    const wrongCa = await runOnce(
      tlsc({ host: '127.0.0.1', port: self.port, ca_file: certs.caFile }),
    );
    assert.equal(wrongCa.ok, false);
    const unchecked = await runOnce(
      tlsc({ host: '127.0.0.1', port: self.port, verify_chain: false }),
    );
    assert.equal(unchecked.ok, true, unchecked.reason);
    assert.doesNotMatch(unchecked.reason, /chain/);
  });

  it('fails an expired certificate whatever verify_chain says, reporting every problem', async () => {
    const unchecked = await runOnce(
      tlsc({ host: '127.0.0.1', port: expired.port, verify_chain: false }),
    );
    assert.equal(unchecked.ok, false);
    assert.match(unchecked.reason, /: certificate expired 1 day ago \(.* GMT\)$/);
    const checked = await runOnce(
      tlsc({ host: '127.0.0.1', port: expired.port, expect_san: 'other.test' }),
    );
    assert.equal(checked.ok, false);
    assert.match(
      checked.reason,
      /: chain does not verify: .*; certificate expired 1 day ago \(.*\); certificate does not cover other\.test/,
    );
  });

  it('fails a certificate not yet valid (clock injected)', async () => {
    const result = await runOnce(
      tlsc(
        { host: '127.0.0.1', port: leaf.port, ca_file: certs.caFile },
        { now: () => Date.now() - 86_400_000 },
      ),
    );
    assert.equal(result.ok, false);
    assert.match(result.reason, /certificate not valid before .* GMT/);
  });

  it('min_days_valid asks for days left', async () => {
    const soon = await runOnce(
      tlsc({ host: '127.0.0.1', port: leaf.port, ca_file: certs.caFile, min_days_valid: 60 }),
    );
    assert.equal(soon.ok, false);
    assert.match(
      soon.reason,
      /certificate expires in (29\.9|30) days \(.*\), fewer than min_days_valid 60$/,
    );
    const enough = await runOnce(
      tlsc({ host: '127.0.0.1', port: leaf.port, ca_file: certs.caFile, min_days_valid: 20 }),
    );
    assert.equal(enough.ok, true, enough.reason);
  });

  it('fails when nothing listens or the server does not speak TLS', async () => {
    const plain = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume(); // read to the client's FIN so the connection can close
      socket.end('SSH-2.0-OpenSSH_9.2\r\n');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as net.AddressInfo).port;
    try {
      const result = await runOnce(tlsc({ host: '127.0.0.1', port }));
      assert.equal(result.ok, false);
      assert.match(
        result.reason,
        new RegExp(
          `^127\\.0\\.0\\.1:${port}: .*wrong version number \\(ERR_SSL_WRONG_VERSION_NUMBER\\)$`,
        ),
      );
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
    const refused = await runOnce(tlsc({ host: '127.0.0.1', port }));
    assert.equal(refused.ok, false);
    assert.match(refused.reason, /ECONNREFUSED/);
  });

  it('reads ca_file on every run', async () => {
    const result = await runOnce(
      tlsc({ host: '127.0.0.1', port: leaf.port, ca_file: `${certs.dir}/gone.pem` }),
    );
    assert.equal(result.ok, false);
    assert.match(result.reason, /^cannot read ca_file: .*ENOENT/);
  });
});
