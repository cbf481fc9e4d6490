// The facility on real loopback sockets: a signed connect reaches a listener holding
// the same key; a wrong key or none never completes; GTSM drops a SYN-ACK sent with
// TTL 64. Skips (with the reason) only where the facility is unavailable, and under
// CI=true that is a failure.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import {
  connectTcp,
  setMd5Key,
  setTtl,
  sockoptSupport,
  type PendingConnect,
} from '../../../src/sockopt/index.js';

const support = sockoptSupport();
if (!support.ok && process.env.CI === 'true') throw new Error(`under CI: ${support.reason}`);
const skip = support.ok ? false : support.reason;

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function listener(host: string, key?: { peer: string; key: string }): Promise<Server> {
  const server = createServer((socket) => socket.end('hi'));
  servers.push(server);
  server.listen({ host, port: 0, ipv6Only: false });
  await once(server, 'listening');
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const family = host.includes(':') ? 6 : 4;
  if (key !== undefined) setMd5Key(fd, family, key.peer, Buffer.from(key.key));
  return server;
}

const portOf = (s: Server): number => (s.address() as { port: number }).port;

/** 'connected', an error code, or 'silent' when nothing happened within `ms`. */
async function outcome(pending: PendingConnect, ms = 700): Promise<string> {
  const timer = new Promise<string>((resolve) => setTimeout(() => resolve('silent'), ms));
  const result = await Promise.race([
    pending.done.then(
      (socket: Socket) => {
        socket.destroy();
        return 'connected';
      },
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    ),
    timer,
  ]);
  pending.cancel();
  return result;
}

describe('sockopt on loopback', { skip }, () => {
  for (const [listen, peer] of [
    ['127.0.0.1', '127.0.0.1'],
    ['::', '127.0.0.1'],
    ['::', '::1'],
  ] as const)
    it(`TCP-MD5: listener on ${listen}, peer ${peer}`, async () => {
      const server = await listener(listen, { peer, key: 'right' });
      const port = portOf(server);
      const good = connectTcp({ host: peer, port, md5Key: Buffer.from('right') });
      const socket = await good.done;
      const [data] = (await once(socket, 'data')) as [Buffer];
      assert.equal(String(data), 'hi');
      assert.equal(socket.remoteAddress, peer);
      socket.destroy();
      assert.equal(
        await outcome(connectTcp({ host: peer, port, md5Key: Buffer.from('wrong') })),
        'silent',
      );
      const plain = connect({ host: peer, port });
      plain.on('error', () => undefined);
      const plainResult = await Promise.race([
        once(plain, 'connect').then(() => 'connected'),
        new Promise((resolve) => setTimeout(() => resolve('silent'), 700)),
      ]);
      plain.destroy();
      assert.equal(plainResult, 'silent', 'an unsigned connect must not reach the listener');
    });

  it('removing the key lets an unsigned connect in again', async () => {
    const server = await listener('127.0.0.1', { peer: '127.0.0.1', key: 'k' });
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    setMd5Key(fd, 4, '127.0.0.1', Buffer.alloc(0));
    setMd5Key(fd, 4, '127.0.0.1', Buffer.alloc(0)); // twice: no key is no error
    assert.equal(
      await outcome(connectTcp({ host: '127.0.0.1', port: portOf(server) })),
      'connected',
    );
  });

  it('GTSM: a SYN-ACK with TTL 64 is dropped; with 255 it connects', async () => {
    const server = await listener('127.0.0.1');
    assert.equal(
      await outcome(connectTcp({ host: '127.0.0.1', port: portOf(server), gtsm: true })),
      'silent',
    );
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    setTtl(fd, 4, 255);
    assert.equal(
      await outcome(connectTcp({ host: '127.0.0.1', port: portOf(server), gtsm: true })),
      'connected',
    );
  });

  it('a refused connect rejects with the errno name', async () => {
    const server = await listener('127.0.0.1');
    const port = portOf(server);
    server.close();
    await once(server, 'close');
    assert.equal(await outcome(connectTcp({ host: '127.0.0.1', port })), 'ECONNREFUSED');
  });
});
