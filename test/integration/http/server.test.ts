/**
 * The JSON-over-HTTP helper over real sockets: a client that sends half a header, or half a
 * body, or idles on a kept-alive connection, is cut off at the limit; answers and errors are
 * JSON. The operator API is checked too: it now has the director's timeouts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ApiServer, DrainStore, Metrics, type ApiDaemon } from '../../../src/api/index.js';
import {
  HttpError,
  closeServer,
  createHttpServer,
  errorReply,
  jsonReply,
  listen,
  readBody,
  sendReply,
  type HttpTimeouts,
} from '../../../src/http/index.js';

const SHORT: Partial<HttpTimeouts> = {
  headersMs: 300,
  requestMs: 600,
  keepAliveMs: 300,
  checkIntervalMs: 50,
};

/** Writes `text` on a raw connection and resolves when the server closes it. */
async function cutOff(port: number, text: string): Promise<{ ms: number; answer: string }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const started = Date.now();
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => undefined);
  socket.write(text);
  // Only the server can end this: the client never finishes its request.
  let gaveUp = false;
  const guard = setTimeout(() => {
    gaveUp = true;
    socket.destroy();
  }, 10_000);
  await once(socket, 'close');
  clearTimeout(guard);
  assert.equal(gaveUp, false, 'the server never cut the client off');
  return { ms: Date.now() - started, answer };
}

function get(
  port: number,
  path: string,
  method = 'GET',
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('createHttpServer', () => {
  let server: Server;
  let port = 0;
  const internal: unknown[] = [];
  before(async () => {
    server = createHttpServer((request, response) => {
      void (async () => {
        try {
          if (request.url === '/echo') {
            const body = await readBody(request, { maxBytes: 64, timeoutMs: 300 });
            sendReply(response, jsonReply(200, { got: body.toString('utf8') }));
          } else if (request.url === '/teapot')
            throw new HttpError(418, 'short and stout', { spout: true }, { allow: 'BREW' });
          else if (request.url === '/broken') throw new Error('boom');
          else sendReply(response, jsonReply(200, { ok: true }));
        } catch (error) {
          sendReply(
            response,
            errorReply(error, (e) => internal.push(e)),
          );
        }
      })();
    }, SHORT);
    await listen(server, { host: '127.0.0.1', port: 0 });
    port = (server.address() as AddressInfo).port;
  });
  after(() => closeServer(server));

  it('answers JSON, not cached', async () => {
    const answer = await get(port, '/');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { ok: true });
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal(answer.headers['cache-control'], 'no-store');
  });

  it('turns an HttpError into its status, fields and headers, anything else into a 500', async () => {
    const teapot = await get(port, '/teapot');
    assert.equal(teapot.status, 418);
    assert.deepEqual(teapot.json, { error: 'short and stout', spout: true });
    assert.equal(teapot.headers.allow, 'BREW');
    const broken = await get(port, '/broken');
    assert.equal(broken.status, 500);
    assert.deepEqual(broken.json, { error: 'internal error: boom' });
    assert.equal(internal.length, 1);
  });

  it('reads a body, refuses one over the cap with 413', async () => {
    assert.deepEqual((await get(port, '/echo', 'POST', 'hello')).json, { got: 'hello' });
    const big = await get(port, '/echo', 'POST', 'x'.repeat(65));
    assert.equal(big.status, 413);
    assert.deepEqual(big.json, { error: 'the body is larger than 64 bytes' });
  });

  it('cuts off a client that sends half a header at the header timeout', async () => {
    const { ms, answer } = await cutOff(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    assert.ok(ms >= 250, `cut off after ${ms} ms, not before the 300 ms limit`);
    assert.ok(ms < 5000, `cut off after ${ms} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  it('cuts off a body that stops arriving', async () => {
    const { ms } = await cutOff(
      port,
      'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\nonly part',
    );
    assert.ok(ms >= 250 && ms < 5000, `cut off after ${ms} ms`);
  });

  it('closes an idle kept-alive connection', async () => {
    const { ms, answer } = await cutOff(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.ok(ms >= 250 && ms < 5000, `closed after ${ms} ms`);
  });
});

describe('the operator API has the same timeouts', () => {
  let dir = '';
  let api: ApiServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ag-http-'));
    // A client that never finishes its header reaches no handler: the daemon is never asked.
    const daemon: ApiDaemon = {
      status: () => assert.fail('not asked'),
      drain: () => assert.fail('not asked'),
    };
    api = new ApiServer({
      daemon,
      store: new DrainStore(dir),
      metrics: new Metrics(() => daemon.status()),
      logger: pino({ level: 'silent' }),
      listen: { host: '127.0.0.1', port: 0 },
      socket: false,
      timeouts: SHORT,
    });
    await api.start();
  });
  after(async () => {
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('cuts off a client that sends half a header', async () => {
    const port = api.tcpAddress?.port ?? 0;
    const { ms, answer } = await cutOff(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\n');
    assert.ok(ms >= 250 && ms < 5000, `cut off after ${ms} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });
});
