import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { createTcpCheck, tcpCheck } from '../../../src/checks/tcp.js';
import { runCheck } from '../../../src/checks/runner.js';
import { common, runOnce } from './helpers.js';

function tcp(input: unknown, timeout = 5) {
  return createTcpCheck(tcpCheck.schema.parse(input), common('tcp', timeout));
}

async function serve(
  onConnection: (socket: net.Socket) => void,
  host = '127.0.0.1',
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = await serve(() => undefined);
  await server.close();
  return server.port;
}

describe('tcp check', () => {
  it('passes once connected, on IPv4 and IPv6 loopback', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const server = await serve((socket) => socket.end(), host);
      try {
        const result = await runOnce(tcp({ host, port: server.port }));
        assert.equal(result.ok, true, result.reason);
        const shown = host === '::1' ? `[::1]:${server.port}` : `127.0.0.1:${server.port}`;
        assert.match(
          result.reason,
          new RegExp(`^connected to ${shown.replace(/[[\]]/g, '\\$&')} in \\d+ ms$`),
        );
      } finally {
        await server.close();
      }
    }
  });

  it('fails when the connection is refused', async () => {
    const port = await closedPort();
    const result = await runOnce(tcp({ host: '127.0.0.1', port }));
    assert.equal(result.ok, false);
    assert.match(result.reason, /ECONNREFUSED 127\.0\.0\.1/);
  });

  it('sends, then passes when the reply contains expect, even split across reads', async () => {
    const server = await serve((socket) => {
      socket.once('data', (data) => {
        assert.equal(data.toString(), 'PING\r\n');
        socket.write('+PO');
        setImmediate(() => socket.write('NG\r\n'));
      });
    });
    try {
      const result = await runOnce(
        tcp({ host: '127.0.0.1', port: server.port, send: 'PING\r\n', expect: '+PONG' }),
      );
      assert.equal(result.ok, true, result.reason);
      assert.match(result.reason, /replied with "\+PONG" in \d+ ms$/);
    } finally {
      await server.close();
    }
  });

  it('fails when the server closes without the expected reply, showing what came', async () => {
    const server = await serve((socket) => socket.end('-ERR loading\r\n'));
    try {
      const result = await runOnce(tcp({ host: '127.0.0.1', port: server.port, expect: '+PONG' }));
      assert.equal(result.ok, false);
      assert.equal(
        result.reason,
        `127.0.0.1:${server.port} closed the connection without sending "+PONG" (got "-ERR loading\\r\\n")`,
      );
    } finally {
      await server.close();
    }
  });

  it('times out on a server that never answers, and closes its connection', async () => {
    let closed = false;
    const server = await serve((socket) => socket.on('close', () => (closed = true)));
    try {
      const result = await runCheck(
        tcp({ host: '127.0.0.1', port: server.port, expect: 'hello' }, 0.3),
      );
      assert.deepEqual([result.ok, result.reason], [false, 'timed out after 0.3 s']);
      const deadline = Date.now() + 5000;
      while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(closed, true, 'the check closed its socket when aborted');
    } finally {
      await server.close();
    }
  });
});
