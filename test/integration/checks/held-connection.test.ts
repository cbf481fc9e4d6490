/**
 * tcp and http with `watch = true` against real listeners on loopback: the held
 * connection's drop runs the check at once (through the real scheduler), a refused
 * reconnect fails fast, and a service that closes idle connections does not flap.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { CheckScheduler, type CheckTiming } from '../../../src/checks/scheduler.js';
import { createTcpCheck } from '../../../src/checks/tcp.js';
import { httpCheck, createHttpCheck } from '../../../src/checks/http.js';
import type { CheckResult, HealthCheck } from '../../../src/checks/types.js';
import { eventually } from './helpers.js';

interface Delivered {
  readonly result: CheckResult;
  readonly timing: CheckTiming;
}

function schedule(check: HealthCheck) {
  const delivered: Delivered[] = [];
  // Splay 0: the first run at once, then every interval.
  const scheduler = new CheckScheduler({
    splay: () => 0,
    checks: [check],
    onResult: (_c, result, timing) => delivered.push({ result, timing }),
  });
  scheduler.start();
  return { scheduler, delivered };
}

async function tcpServer(options: { idleCloseMs?: number } = {}) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (options.idleCloseMs !== undefined)
      socket.setTimeout(options.idleCloseMs, () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    sockets,
    /** What a SIGKILL does to the service: the listener goes, every connection is reset. */
    kill: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.resetAndDestroy();
      }),
  };
}

describe('held connections (watch = true)', () => {
  it('tcp: the service going away fails the check at once, fail_fast, trigger watch', async () => {
    const service = await tcpServer();
    const check = createTcpCheck(
      { host: '127.0.0.1', port: service.port, watch: true },
      { name: 'held', interval: 60, timeout: 2 },
    );
    const { scheduler, delivered } = schedule(check);
    try {
      await eventually(() => delivered[0], 'the first run');
      assert.equal(delivered[0]?.result.ok, true);
      await eventually(() => service.sockets.size === 1, 'the held connection');
      await service.kill();
      const failed = await eventually(
        () => delivered.find((d) => !d.result.ok),
        'a failure (the interval is 60 s: only the watch can run it)',
      );
      assert.equal(failed.result.trigger, 'watch');
      assert.equal(failed.timing.trigger, 'watch');
      assert.equal(failed.result.failFast, true, failed.result.reason);
      assert.match(
        failed.result.reason,
        /refused the connection after the held connection dropped/,
      );
    } finally {
      await scheduler.stop();
      check.close?.();
    }
  });

  it('fail_fast = false: the same event fails without skipping fall', async () => {
    const service = await tcpServer();
    const check = createTcpCheck(
      { host: '127.0.0.1', port: service.port, watch: true, fail_fast: false },
      { name: 'held', interval: 60, timeout: 2 },
    );
    const { scheduler, delivered } = schedule(check);
    try {
      await eventually(() => service.sockets.size === 1, 'the held connection');
      await service.kill();
      const failed = await eventually(() => delivered.find((d) => !d.result.ok), 'a failure');
      assert.equal(failed.result.trigger, 'watch');
      assert.equal(failed.result.failFast, undefined);
    } finally {
      await scheduler.stop();
      check.close?.();
    }
  });

  it('a polled refusal counts fall: no failFast on an interval run', async () => {
    const service = await tcpServer();
    await service.kill();
    const check = createTcpCheck(
      { host: '127.0.0.1', port: service.port, watch: true },
      { name: 'held', interval: 60, timeout: 2 },
    );
    const { scheduler, delivered } = schedule(check);
    try {
      const first = await eventually(() => delivered[0], 'the first run');
      assert.equal(first.result.ok, false);
      assert.equal(first.result.trigger, 'interval');
      assert.equal(first.result.failFast, undefined);
    } finally {
      await scheduler.stop();
      check.close?.();
    }
  });

  it('http: a service that closes idle connections after 1 s does not flap', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 1000;
    // A raw held connection sends no request: headersTimeout would not close it soon, so
    // close idle sockets after 1 s as such services do.
    server.on('connection', (socket) => socket.setTimeout(1000, () => socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const check = createHttpCheck(
      httpCheck.schema.parse({ url: `http://127.0.0.1:${port}/`, watch: true }),
      { name: 'idle', interval: 30, timeout: 2 },
    );
    const { scheduler, delivered } = schedule(check);
    try {
      // Three closes of the held connection, each answered by a passing run.
      await eventually(
        () => delivered.filter((d) => d.result.trigger === 'watch').length >= 3,
        'three runs woken by the held connection closing',
        10_000,
      );
      assert.ok(
        delivered.every((d) => d.result.ok),
        delivered.map((d) => `${d.result.trigger}: ${d.result.reason}`).join('\n'),
      );
    } finally {
      await scheduler.stop();
      check.close?.();
      server.closeAllConnections();
      server.close();
    }
  });

  it('a service that drops the held connection at once is held again only by interval runs', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    let accepted = 0;
    server.on('connection', () => accepted++);
    const check = createTcpCheck(
      { host: '127.0.0.1', port, watch: true },
      { name: 'drop', interval: 60, timeout: 2 },
    );
    const { scheduler, delivered } = schedule(check);
    try {
      await eventually(() => delivered.length >= 2, 'the run the first drop woke');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // First run, the held connection, the woken run's reconnect and probe: then quiet.
      assert.equal(delivered.length, 2, delivered.map((d) => d.result.reason).join('\n'));
      assert.ok(accepted <= 4, `${accepted} connections`);
    } finally {
      await scheduler.stop();
      check.close?.();
      server.close();
    }
  });
});
