/**
 * Issue 12 item 1 and 8 over real sockets on loopback: idle connections beyond the
 * API's cap are closed as they are accepted (the daemon keeps its descriptors), the ones
 * within it are closed by the idle timeout, the unix socket still answers while TCP is
 * full; a malformed %-escape in a path is a 400 with nothing above debug in the log,
 * on the operator API and on the director.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { ApiServer, DrainStore, Metrics, type ApiDaemon } from '../../../src/api/index.js';
import type { DaemonStatus } from '../../../src/daemon/index.js';
import { DirectorServer, type Director } from '../../../src/director/index.js';
import type { HttpTimeouts } from '../../../src/http/index.js';

const SHORT: Partial<HttpTimeouts> = {
  headersMs: 500,
  requestMs: 1000,
  keepAliveMs: 500,
  checkIntervalMs: 50,
};
const CAP = 8;
const IDLE = 40;

type Record = { level: number; event?: string; [key: string]: unknown };

/** A pino logger at debug whose records land in `records`. */
function capture(): { logger: Logger; records: Record[] } {
  const records: Record[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void records.push(JSON.parse(line) as Record) },
  );
  return { logger, records };
}

type Where = { socketPath: string } | { host: string; port: number };

function call(
  where: Where,
  method: string,
  path: string,
): Promise<{ status: number; json: { [key: string]: unknown } }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...where, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          json: JSON.parse(text) as { [key: string]: unknown },
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const EMPTY: DaemonStatus = { services: [], routes: [], peers: [], addresses: [], announcers: [] };

describe('the operator API under a flood of idle connections', () => {
  let dir = '';
  let api: ApiServer;
  let socket = '';
  let metrics: Metrics;
  const { logger, records } = capture();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ag-cap-'));
    socket = join(dir, 'api.sock');
    const daemon: ApiDaemon = { status: () => EMPTY, drain: () => undefined };
    metrics = new Metrics(() => daemon.status());
    api = new ApiServer({
      daemon,
      store: new DrainStore(dir),
      metrics,
      logger,
      listen: { host: '127.0.0.1', port: 0 },
      socket,
      timeouts: SHORT,
      maxConnections: CAP,
      node: 'cap-test',
    });
    await api.start();
  });
  after(async () => {
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('holds at most the cap, closes the rest at once and the idle ones at the timeout', async () => {
    const port = api.tcpAddress?.port ?? 0;
    const started = Date.now();
    const closedAt: number[] = [];
    const sockets: Socket[] = [];
    for (let i = 0; i < IDLE; i++) {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      s.on('close', () => closedAt.push(Date.now() - started));
      s.resume();
      sockets.push(s);
    }
    try {
      await Promise.all(sockets.map((s) => once(s, 'connect').catch(() => undefined)));
      // Refused ones are closed on accept; wait until only the cap's worth is left.
      while (closedAt.length < IDLE - CAP && Date.now() - started < 5_000)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(closedAt.length, IDLE - CAP, 'every connection beyond the cap is closed');
      assert.ok(
        closedAt.every((ms) => ms < 400),
        `the refused ones closed before the idle timeout (${closedAt.join(', ')} ms)`,
      );
      // TCP is full; the unix socket has its own share and still answers (drain stays possible).
      const viaSocket = await call({ socketPath: socket }, 'GET', '/healthz');
      assert.equal(viaSocket.status, 200);
      // The idle ones never sent a byte: the header timeout closes them.
      await Promise.all(sockets.filter((s) => !s.closed).map((s) => once(s, 'close')));
      const idleClosed = closedAt.slice(IDLE - CAP);
      assert.ok(
        idleClosed.every((ms) => ms >= 450 && ms < 3_000),
        `idle connections closed at the timeout (${idleClosed.join(', ')} ms)`,
      );
    } finally {
      for (const s of sockets) s.destroy();
    }
    // Room again: a fresh client is answered.
    const fresh = await call({ host: '127.0.0.1', port }, 'GET', '/healthz');
    assert.equal(fresh.status, 200);

    const metricsText = await metrics.render();
    assert.match(
      metricsText,
      new RegExp(
        `^anycast_guard_api_connections_refused_total\\{listener="tcp"\\} ${IDLE - CAP}$`,
        'm',
      ),
    );
    // One warning for the whole burst, with the count, not one per connection.
    const warnings = records.filter((r) => r.event === 'api.connections_refused');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.level, 40);
    assert.equal(warnings[0]?.maxConnections, CAP);
  });

  it('answers 400 to a malformed %-escape in a service name and logs nothing above debug', async () => {
    records.length = 0;
    const answer = await call({ socketPath: socket }, 'POST', '/v1/services/%E0%A4%A/drain');
    assert.equal(answer.status, 400);
    assert.match(String(answer.json.error), /malformed %-escape/);
    assert.deepEqual(
      records.filter((r) => r.level > 20),
      [],
      'no info, warn or error line for bad client input',
    );
    assert.ok(records.some((r) => r.event === 'api.request_refused' && r.level === 20));
  });
});

describe('the director', () => {
  let server: DirectorServer;
  const { logger, records } = capture();

  before(async () => {
    // The bad path never reaches the registry.
    const director = {
      locate: () => assert.fail('not asked'),
    } as unknown as Director;
    server = new DirectorServer({
      director,
      host: '127.0.0.1',
      port: 0,
      log: logger,
      timeouts: SHORT,
      maxConnections: CAP,
    });
    await server.start();
  });
  after(() => server.stop());

  it('answers 400 to a malformed %-escape in /v1/locate/ and logs nothing above debug', async () => {
    const port = server.address?.port ?? 0;
    const answer = await call({ host: '127.0.0.1', port }, 'GET', '/v1/locate/%E0%A4%A?client=::1');
    assert.equal(answer.status, 400);
    assert.match(String(answer.json.error), /malformed %-escape/);
    assert.deepEqual(
      records.filter((r) => r.level > 20),
      [],
    );
  });

  it('closes connections beyond its cap as they are accepted', async () => {
    const port = server.address?.port ?? 0;
    const sockets = Array.from({ length: CAP + 4 }, () => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      s.resume();
      return s;
    });
    try {
      let closed = 0;
      for (const s of sockets) s.once('close', () => closed++);
      const started = Date.now();
      while (closed < 4 && Date.now() - started < 5_000)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(closed, 4);
      assert.ok(Date.now() - started < 400, 'refused before the idle timeout');
      const warned = records.filter((r) => r.event === 'director.connections_refused');
      assert.equal(
        warned.length,
        1,
        'the first refusal is told at once, the rest later in one line',
      );
      assert.equal(warned[0]?.maxConnections, CAP);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});
