import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cabourotteCheck, createCabourotteCheck } from '../../../src/checks/cabourotte.js';
import { type Listening, common, listenHttp, runOnce } from './helpers.js';

/**
 * A fake Cabourotte: GET /result/{name} answers what Cabourotte's result store
 * holds, in its JSON shape (healthcheck/result.go), or 404 {"message": ...}.
 */
interface StoredResult {
  name: string;
  summary: string;
  success: boolean;
  'healthcheck-timestamp': number;
  message: string;
  duration: number;
  source: string;
  labels?: Record<string, string>;
  message_labels?: Record<string, string>;
}

describe('cabourotte check', () => {
  let server: Listening;
  const store = new Map<string, StoredResult>();
  const requested: string[] = [];
  const now = Math.floor(Date.now() / 1000);
  before(async () => {
    server = await listenHttp((req, res) => {
      requested.push(req.url ?? '');
      const match = /^\/result\/([^/]+)$/.exec(req.url ?? '');
      if (req.method !== 'GET' || match === null) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
        return;
      }
      if (match[1] === 'broken-json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"name": "broken-json", ');
        return;
      }
      if (match[1] === 'error-500') {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"message":"internal error"}');
        return;
      }
      const result = store.get(decodeURIComponent(match[1] ?? ''));
      if (result === undefined) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: `Result not found for healthcheck ${match[1]}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
    const base = {
      summary: 'HTTP healthcheck on 127.0.0.1:8080',
      duration: 1,
      source: 'configuration',
    };
    store.set('example-api', {
      ...base,
      name: 'example-api',
      success: true,
      'healthcheck-timestamp': now - 3,
      message: 'success',
      labels: { env: 'prod' },
      message_labels: {},
    });
    store.set('dns check', {
      ...base,
      name: 'dns check',
      success: false,
      'healthcheck-timestamp': now - 1,
      message: 'Fail to lookup example.test: i/o timeout',
    });
    store.set('stale', {
      ...base,
      name: 'stale',
      success: true,
      'healthcheck-timestamp': 1695648161,
      message: 'success',
    });
    store.set('impostor', {
      ...base,
      name: 'someone-else',
      success: true,
      'healthcheck-timestamp': now,
      message: 'success',
    });
  });
  after(async () => {
    await server.close();
  });

  function check(input: unknown, nowMs?: number) {
    const item = typeof input === 'string' ? cabourotteCheck.fromString?.(input) : input;
    const spec = cabourotteCheck.schema.parse({
      url: `http://127.0.0.1:${server.port}/`,
      ...(item as object),
    });
    return createCabourotteCheck(
      spec,
      common('cabourotte'),
      nowMs === undefined ? {} : { now: () => nowMs },
    );
  }

  it('passes when Cabourotte says success, reading GET {url}/result/{name}', async () => {
    const result = await runOnce(check('example-api', now * 1000));
    assert.equal(result.ok, true, result.reason);
    assert.match(result.reason, /^cabourotte "example-api": success, 3 s old \(asked in \d+ ms\)$/);
    assert.equal(requested.at(-1), '/result/example-api');
  });

  it("fails with Cabourotte's message when the check failed, escaping the name in the path", async () => {
    const result = await runOnce(check({ name: 'dns check' }, now * 1000));
    assert.deepEqual(
      [result.ok, result.reason],
      [false, 'cabourotte "dns check" failed: Fail to lookup example.test: i/o timeout, 1 s old'],
    );
    assert.equal(requested.at(-1), '/result/dns%20check');
  });

  it('fails when Cabourotte has no such result (404)', async () => {
    const result = await runOnce(check('nope'));
    assert.deepEqual(
      [result.ok, result.reason],
      [
        false,
        'cabourotte "nope": Cabourotte has no result for it (HTTP 404: "Result not found for healthcheck nope")',
      ],
    );
  });

  it('fails on other errors and on what is not a result', async () => {
    const error = await runOnce(check('error-500'));
    assert.equal(
      error.reason,
      'cabourotte "error-500": request failed (HTTP 500: "internal error")',
    );
    const broken = await runOnce(check('broken-json'));
    assert.equal(
      broken.reason,
      'cabourotte "broken-json": not a Cabourotte result: "{\\"name\\": \\"broken-json\\", "',
    );
    const impostor = await runOnce(check('impostor'));
    assert.equal(impostor.reason, 'cabourotte "impostor": answer is for "someone-else"');
  });

  it('max_age fails a stale result', async () => {
    const stale = await runOnce(check({ name: 'stale', max_age: 60 }, now * 1000));
    assert.equal(stale.ok, false);
    assert.match(stale.reason, /^cabourotte "stale": result is stale \(\d+ s old, max_age 60 s\)$/);
    const fresh = await runOnce(check({ name: 'example-api', max_age: 60 }, now * 1000));
    assert.equal(fresh.ok, true, fresh.reason);
    const withoutAge = await runOnce(check({ name: 'stale' }, now * 1000));
    assert.equal(withoutAge.ok, true, 'no max_age, no staleness check (as anycastd)');
  });

  it('fails when Cabourotte is not listening', async () => {
    const gone = await listenHttp(() => undefined);
    await gone.close();
    const spec = cabourotteCheck.schema.parse({ name: 'x', url: `http://127.0.0.1:${gone.port}` });
    const result = await runOnce(createCabourotteCheck(spec, common()));
    assert.equal(result.ok, false);
    assert.match(
      result.reason,
      new RegExp(`^cabourotte "x": http://127\\.0\\.0\\.1:${gone.port}: .*ECONNREFUSED`),
    );
  });
});
