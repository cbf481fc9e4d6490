import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNginxCheck, nginxCheck, parseStubStatus } from '../../../src/checks/nginx.js';
import { type Listening, common, listenHttp, runOnce } from './helpers.js';

// What nginx's ngx_http_stub_status_module prints, byte for byte (note the trailing spaces).
const stubStatus =
  'Active connections: 291 \nserver accepts handled requests\n 16630948 16630948 31070465 \nReading: 6 Writing: 179 Waiting: 106 \n';

describe('parseStubStatus', () => {
  it('reads every counter', () => {
    assert.deepEqual(parseStubStatus(stubStatus), {
      active: 291,
      accepts: 16630948,
      handled: 16630948,
      requests: 31070465,
      reading: 6,
      writing: 179,
      waiting: 106,
    });
    assert.equal(parseStubStatus(stubStatus.replace(/\n/g, '\r\n'))?.active, 291);
  });

  it('refuses anything else', () => {
    assert.equal(parseStubStatus('<html>Welcome to nginx!</html>'), undefined);
    assert.equal(parseStubStatus(stubStatus.replace('Waiting: 106', 'Waiting: ')), undefined);
  });
});

describe('nginx check', () => {
  let server: Listening;
  let base: string;
  before(async () => {
    server = await listenHttp((req, res) => {
      if (req.url === '/nginx_status')
        res.writeHead(200, { 'content-type': 'text/plain' }).end(stubStatus);
      else if (req.url === '/html') res.end('<html>Welcome to nginx!</html>');
      else res.writeHead(403).end('forbidden');
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close();
  });

  function check(input: Record<string, unknown>, now?: () => number) {
    return createNginxCheck(
      nginxCheck.schema.parse(input),
      common('nginx'),
      now === undefined ? {} : { now },
    );
  }

  it('passes on a stub_status page with the connection counts as the reason', async () => {
    const result = await runOnce(check({ url: `${base}/nginx_status` }));
    assert.equal(result.ok, true, result.reason);
    assert.match(
      result.reason,
      /^active connections 291 \(reading 6, writing 179, waiting 106\) in \d+ ms$/,
    );
  });

  it('fails a slow answer even though it is well formed (clock injected)', async () => {
    // The clock reads 1000 at the start and 2500 at the end: a 1.5 s answer.
    const readings = [1000, 2500];
    const result = await runOnce(
      check({ url: `${base}/nginx_status`, max_response_ms: 1000 }, () => readings.shift() ?? 2500),
    );
    assert.deepEqual(
      [result.ok, result.reason, result.durationMs],
      [
        false,
        'stub_status took 1.5 s (max 1000 ms); active connections 291 (reading 6, writing 179, waiting 106)',
        1500,
      ],
    );
  });

  it('fails on another status or a page that is not stub_status', async () => {
    const forbidden = await runOnce(check({ url: `${base}/secret` }));
    assert.equal(forbidden.ok, false);
    assert.match(forbidden.reason, /^stub_status answered HTTP 403 after \d+ ms$/);
    const html = await runOnce(check({ url: `${base}/html` }));
    assert.deepEqual(
      [html.ok, html.reason],
      [false, 'not a stub_status page: "<html>Welcome to nginx!</html>"'],
    );
  });

  it('fails when nginx is not listening', async () => {
    const gone = await listenHttp(() => undefined);
    await gone.close();
    const result = await runOnce(check({ url: `http://127.0.0.1:${gone.port}/nginx_status` }));
    assert.equal(result.ok, false);
    assert.match(
      result.reason,
      /^stub_status http:\/\/127\.0\.0\.1:\d+\/nginx_status: .*ECONNREFUSED/,
    );
  });
});
