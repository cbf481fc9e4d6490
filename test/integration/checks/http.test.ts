import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createHttpCheck, httpCheck } from '../../../src/checks/http.js';
import { runCheck } from '../../../src/checks/runner.js';
import {
  type Certs,
  type Listening,
  common,
  listenHttp,
  listenHttps,
  makeCerts,
  runOnce,
} from './helpers.js';

function httpc(input: unknown, timeout = 5) {
  return createHttpCheck(httpCheck.schema.parse(input), common('http', timeout));
}

interface Seen {
  method?: string;
  url?: string;
  headers?: http.IncomingHttpHeaders;
}

describe('http check', () => {
  let server: Listening;
  let base: string;
  const seen: Seen[] = [];
  before(async () => {
    server = await listenHttp((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const path = req.url ?? '/';
      if (path === '/health') {
        res.end('{"status":"ok","version":"1.2.3"}');
      } else if (path === '/down') {
        res.writeHead(503).end('maintenance');
      } else if (path === '/moved') {
        res.writeHead(302, { location: '/health' }).end();
      } else if (path === '/see-other') {
        res.writeHead(303, { location: `http://127.0.0.1:${server.port}/health` }).end();
      } else if (path === '/loop') {
        res.writeHead(301, { location: '/loop' }).end();
      } else if (path === '/hang') {
        req.socket.on('close', () => seen.push({ url: 'hang closed' }));
      } else {
        res.writeHead(404).end('not found');
      }
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close();
  });

  it('passes on 2xx by default, on a fresh connection (no keep-alive)', async () => {
    const result = await runOnce(httpc({ url: `${base}/health` }));
    assert.equal(result.ok, true, result.reason);
    assert.match(result.reason, /^HTTP 200 in \d+ ms$/);
    const request = seen.at(-1);
    assert.equal(request?.method, 'GET');
    assert.equal(request?.headers?.connection, 'close');
  });

  it('fails on an unexpected status and passes when that status is listed', async () => {
    const down = await runOnce(httpc({ url: `${base}/down` }));
    assert.equal(down.ok, false);
    assert.match(down.reason, /^HTTP 503, expected 2xx, after \d+ ms$/);
    const listed = await runOnce(httpc({ url: `${base}/down`, status: [200, 503] }));
    assert.equal(listed.ok, true, listed.reason);
    const wrongClass = await runOnce(httpc({ url: `${base}/health`, status: '3xx' }));
    assert.match(wrongClass.reason, /^HTTP 200, expected 3xx/);
  });

  it('checks the body for a substring and a regex', async () => {
    assert.equal((await runOnce(httpc({ url: `${base}/health`, body: '"status":"ok"' }))).ok, true);
    const missing = await runOnce(httpc({ url: `${base}/health`, body: 'healthy' }));
    assert.deepEqual(
      [missing.ok, missing.reason],
      [
        false,
        'HTTP 200 but the body does not contain "healthy" (body: "{\\"status\\":\\"ok\\",\\"version\\":\\"1.2.3\\"}")',
      ],
    );
    assert.equal(
      (await runOnce(httpc({ url: `${base}/health`, body_regex: '"version":"1\\.\\d+' }))).ok,
      true,
    );
    const nomatch = await runOnce(httpc({ url: `${base}/health`, body_regex: '^ok$' }));
    assert.equal(nomatch.ok, false);
    assert.match(nomatch.reason, /does not match \/\^ok\$\//);
  });

  it('sends the method and headers it is given', async () => {
    const result = await runOnce(
      httpc({
        url: `${base}/health`,
        method: 'head',
        headers: { 'X-Probe': 'anycast', Host: 'svc.example.org' },
      }),
    );
    assert.equal(result.ok, true, result.reason);
    const request = seen.at(-1);
    assert.equal(request?.method, 'HEAD');
    assert.equal(request?.headers?.['x-probe'], 'anycast');
    assert.equal(request?.headers?.host, 'svc.example.org');
  });

  it('does not follow redirects unless asked, and then a bounded number', async () => {
    const notFollowed = await runOnce(httpc({ url: `${base}/moved` }));
    assert.equal(notFollowed.ok, false);
    assert.match(
      notFollowed.reason,
      /^HTTP 302 \(redirect to \/health not followed\), expected 2xx/,
    );
    const followed = await runOnce(
      httpc({ url: `${base}/moved`, follow_redirects: true, body: 'ok' }),
    );
    assert.equal(followed.ok, true, followed.reason);
    const seeOther = await runOnce(
      httpc({ url: `${base}/see-other`, method: 'POST', follow_redirects: true }),
    );
    assert.equal(seeOther.ok, true, seeOther.reason);
    assert.equal(seen.at(-1)?.method, 'GET', '303 is followed with GET');
    const loop = await runOnce(httpc({ url: `${base}/loop`, follow_redirects: true }));
    assert.equal(loop.ok, false);
    assert.match(loop.reason, /^HTTP 301 \(redirect to \/loop not followed\)/);
  });

  it('works over IPv6 loopback', async () => {
    const v6 = await listenHttp((_req, res) => res.end('ok'), '::1');
    try {
      const result = await runOnce(httpc({ url: `http://[::1]:${v6.port}/` }));
      assert.equal(result.ok, true, result.reason);
    } finally {
      await v6.close();
    }
  });

  it('fails when nothing listens', async () => {
    const closed = await listenHttp(() => undefined);
    await closed.close();
    const result = await runOnce(httpc({ url: `http://127.0.0.1:${closed.port}/` }));
    assert.equal(result.ok, false);
    assert.match(result.reason, /ECONNREFUSED/);
  });

  it('times out on a server that never answers and drops the connection', async () => {
    const result = await runCheck(httpc({ url: `${base}/hang` }, 0.3));
    assert.deepEqual([result.ok, result.reason], [false, 'timed out after 0.3 s']);
    const deadline = Date.now() + 5000;
    while (!seen.some((s) => s.url === 'hang closed') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(
      seen.some((s) => s.url === 'hang closed'),
      'the aborted request closed its socket',
    );
  });
});

describe('http check over TLS', () => {
  let certs: Certs;
  let good: Listening;
  let expired: Listening;
  before(async () => {
    certs = await makeCerts();
    good = await listenHttps(certs.leaf, (_req, res) => res.end('ok'));
    expired = await listenHttps(certs.expired, (_req, res) => res.end('ok'));
  });
  after(async () => {
    await good.close();
    await expired.close();
    await certs.remove();
  });

  it('verifies the chain against ca_file and the name against server_name (also sent as SNI)', async () => {
    const byName = await runOnce(
      httpc({
        url: `https://127.0.0.1:${good.port}/`,
        ca_file: certs.caFile,
        server_name: 'localhost',
      }),
    );
    assert.equal(byName.ok, true, byName.reason);
    const byIp = await runOnce(
      httpc({ url: `https://127.0.0.1:${good.port}/`, ca_file: certs.caFile }),
    );
    assert.equal(byIp.ok, true, byIp.reason);
    const wildcard = await runOnce(
      httpc({
        url: `https://127.0.0.1:${good.port}/`,
        ca_file: certs.caFile,
        server_name: 'api.example.org',
      }),
    );
    assert.equal(wildcard.ok, true, wildcard.reason);
  });

  it('fails on an unknown issuer, a name mismatch, an expired certificate, an unreadable ca_file', async () => {
    const unknownCa = await runOnce(httpc({ url: `https://127.0.0.1:${good.port}/` }));
    assert.equal(unknownCa.ok, false);
    assert.match(
      unknownCa.reason,
      /unable to (verify the first certificate|get local issuer certificate)/,
    );

    const wrongName = await runOnce(
      httpc({
        url: `https://127.0.0.1:${good.port}/`,
        ca_file: certs.caFile,
        server_name: 'a.b.example.org',
      }),
    );
    assert.equal(wrongName.ok, false);
    assert.match(
      wrongName.reason,
      /Hostname\/IP does not match certificate's altnames.*a\.b\.example\.org/,
    );

    const old = await runOnce(
      httpc({ url: `https://127.0.0.1:${expired.port}/`, server_name: 'localhost' }),
    );
    assert.equal(old.ok, false);
    assert.equal(old.reason, 'certificate has expired (CERT_HAS_EXPIRED)');

    const noCa = await runOnce(
      httpc({ url: `https://127.0.0.1:${good.port}/`, ca_file: `${certs.dir}/missing.pem` }),
    );
    assert.equal(noCa.ok, false);
    assert.match(noCa.reason, /^cannot read ca_file: .*ENOENT/);
  });

  it('insecure_skip_verify accepts what verification refuses', async () => {
    const result = await runOnce(
      httpc({ url: `https://127.0.0.1:${expired.port}/`, insecure_skip_verify: true }),
    );
    assert.equal(result.ok, true, result.reason);
  });
});
