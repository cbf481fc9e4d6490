/**
 * A reload's `[api]`: the listeners move when `listen` or `socket` change, the token
 * file is read again (a rotated token works at once, the old one no longer), and what
 * cannot be done keeps what runs and says why. Real TCP ports and unix sockets.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ApiServer, DrainStore, Metrics, type ApiDaemon } from '../../../src/api/index.js';
import { loggedEvent } from '../../helpers/log-events.js';

type Where = { socketPath: string } | { host: string; port: number };

/** The status code, or the connection error's code (ECONNREFUSED, ENOENT). */
function statusOf(where: Where, method = 'GET', path = '/healthz', token?: string) {
  return new Promise<number | string>((resolve) => {
    const req = request(
      {
        ...where,
        method,
        path,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end();
  });
}

describe('API reload', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-api-reload-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('moves the listeners, takes a rotated token, and keeps what runs when a move fails', async () => {
    const daemon: ApiDaemon = {
      status: () => ({ services: [] }) as unknown as ReturnType<ApiDaemon['status']>,
      drain: () => assert.fail('not asked'),
    };
    let output = '';
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'first-token\n', { mode: 0o600 });
    const api = new ApiServer({
      daemon,
      store: new DrainStore(join(dir, 'state')),
      metrics: new Metrics(() => daemon.status()),
      logger: pino({ level: 'info' }, { write: (line: string) => void (output += line) }),
      listen: { host: '127.0.0.1', port: 0 },
      socket: join(dir, 'a.sock'),
      tokenFile,
    });
    await api.start();
    const blocker = createServer();
    try {
      const firstTcp = { host: '127.0.0.1', port: api.tcpAddress?.port ?? 0 };
      const firstSocket = { socketPath: join(dir, 'a.sock') };
      // An undrain of an unknown service: 401 without the right token, 404 with it.
      const change = (where: Where, token: string) =>
        statusOf(where, 'POST', '/v1/services/nope/undrain', token);
      assert.equal(await change(firstTcp, 'first-token'), 404);

      await writeFile(tokenFile, 'second-token\n', { mode: 0o600 });
      const moved = await api.reload({
        listen: { host: '127.0.0.3', port: 0 },
        socket: join(dir, 'b.sock'),
        tokenFile,
      });
      assert.deepEqual(moved, []);
      const tcp = { host: '127.0.0.3', port: api.tcpAddress?.port ?? 0 };
      const socket = { socketPath: join(dir, 'b.sock') };
      assert.equal(api.tcpAddress?.address, '127.0.0.3');
      assert.equal(await statusOf(tcp), 200);
      assert.equal(await statusOf(socket), 200);
      assert.equal(await statusOf(firstTcp), 'ECONNREFUSED', 'the old TCP listener is closed');
      assert.equal(existsSync(firstSocket.socketPath), false, 'the old socket file is gone');
      assert.equal(await change(tcp, 'first-token'), 401, 'the old token no longer works');
      assert.equal(await change(tcp, 'second-token'), 404, 'the rotated token works');
      assert.ok(loggedEvent(output, 'api.moved'));
      assert.ok(loggedEvent(output, 'api.token_reloaded'));

      // A port in use, a socket under a regular file, a token file others may read.
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.4', resolve));
      const busy = (blocker.address() as AddressInfo).port;
      await writeFile(join(dir, 'file'), '');
      await writeFile(tokenFile, 'third-token\n');
      await chmod(tokenFile, 0o644);
      const problems = await api.reload({
        listen: { host: '127.0.0.4', port: busy },
        socket: join(dir, 'file', 'c.sock'),
        tokenFile,
      });
      assert.equal(problems.length, 3, problems.join('\n'));
      assert.ok(
        problems.some((p) => p.includes('EADDRINUSE')),
        problems.join('\n'),
      );
      assert.ok(
        problems.some((p) => p.includes('mode 0644')),
        problems.join('\n'),
      );
      assert.equal(await statusOf(tcp), 200, 'the running TCP listener is kept');
      assert.equal(await statusOf(socket), 200, 'the running socket is kept');
      assert.equal(await change(tcp, 'second-token'), 404, 'the running token is kept');
      assert.ok(loggedEvent(output, 'api.move_failed'));
      assert.ok(loggedEvent(output, 'api.token_kept'));

      // A later good reload moves from where the API really is.
      await chmod(tokenFile, 0o600);
      assert.deepEqual(
        await api.reload({ listen: { host: '127.0.0.1', port: 0 }, socket: false, tokenFile }),
        [],
      );
      assert.equal(api.tcpAddress?.address, '127.0.0.1');
      assert.equal(existsSync(socket.socketPath), false, 'socket = false closes the socket');
      const back = { host: '127.0.0.1', port: api.tcpAddress?.port ?? 0 };
      assert.equal(await change(back, 'third-token'), 404);
    } finally {
      blocker.close();
      await api.stop();
    }
  });
});
