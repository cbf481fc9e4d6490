/**
 * `status`, `drain` and `undrain --config FILE` find the daemon from the file's [api]:
 * its socket, or else its listener and token file. A stand-in API records what it is asked.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveApiTarget } from '../../../src/cli/api-client.js';
import { DEFAULT_API_SOCKET } from '../../../src/config/index.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const SERVICE = '[services.web]\nprefixes = ["203.0.113.80"]\nannounce = "always"\n';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

interface Asked {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

/** An API that answers every request with a small status, and records it. */
async function standIn(listen: (server: Server) => Promise<void>) {
  const asked: Asked[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    asked.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
    });
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ node: 'stand-in', services: [], peers: [] }));
  });
  await listen(server);
  return { server, asked };
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ag-api-target-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, api: string, rest = SERVICE): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `[api]\n${api}\n${rest}`);
  return path;
}

describe('resolveApiTarget', () => {
  it("takes the socket from the file's [api]", async () => {
    const config = await configFile('socket.toml', 'socket = "/run/ag-test/control.sock"');
    assert.deepEqual(await resolveApiTarget({ config }), { socket: '/run/ag-test/control.sock' });
  });

  it('without a socket: the listener as a URL (wildcards on loopback) and the token file', async () => {
    const v4 = await configFile(
      'tcp4.toml',
      'socket = false\nlisten = "0.0.0.0:9999"\ntoken_file = "/etc/ag/token"',
    );
    assert.deepEqual(await resolveApiTarget({ config: v4 }), {
      url: 'http://127.0.0.1:9999',
      tokenFile: '/etc/ag/token',
    });
    const v6 = await configFile('tcp6.toml', 'socket = false\nlisten = "[::]:9181"');
    assert.deepEqual(await resolveApiTarget({ config: v6 }), { url: 'http://[::1]:9181' });
  });

  it('a flag wins over the file; --url keeps the token file from it', async () => {
    const config = await configFile(
      'both.toml',
      'socket = "/run/a.sock"\ntoken_file = "/etc/ag/token"',
    );
    assert.deepEqual(await resolveApiTarget({ config, socket: '/run/b.sock' }), {
      socket: '/run/b.sock',
    });
    assert.deepEqual(await resolveApiTarget({ config, url: 'http://127.0.0.1:1' }), {
      url: 'http://127.0.0.1:1',
      tokenFile: '/etc/ag/token',
    });
    assert.deepEqual(
      await resolveApiTarget({ config, url: 'http://127.0.0.1:1', tokenFile: '/t' }),
      { url: 'http://127.0.0.1:1', tokenFile: '/t' },
    );
  });

  it('reads only [api]: a file whose services are being edited still finds the daemon', async () => {
    const config = await configFile(
      'editing.toml',
      'socket = "/run/c.sock"',
      '[services.web]\nrise = "x"\n',
    );
    assert.deepEqual(await resolveApiTarget({ config }), { socket: '/run/c.sock' });
  });

  it('with no --config: the default file when it exists, else the default socket', async () => {
    const absent = join(dir, 'absent.toml');
    assert.deepEqual(await resolveApiTarget({}, absent), { socket: DEFAULT_API_SOCKET });
    const present = await configFile('default.toml', 'socket = "/run/d.sock"');
    assert.deepEqual(await resolveApiTarget({}, present), { socket: '/run/d.sock' });
  });

  it('refuses a file that serves no API, and a bad [api], naming the file', async () => {
    const none = await configFile('none.toml', 'socket = false\nlisten = false');
    await assert.rejects(
      resolveApiTarget({ config: none }),
      /none\.toml: \[api\] has socket = false and listen = false/,
    );
    const bad = await configFile('bad.toml', 'socket = "relative.sock"');
    await assert.rejects(
      resolveApiTarget({ config: bad }),
      /bad\.toml.*api\.socket: must be an absolute path/s,
    );
  });
});

describe('the CLI with --config', () => {
  it('status asks the socket the file names', async (t) => {
    const socket = join(dir, 'control.sock');
    const api = await standIn((s) => new Promise((r) => s.listen(socket, r)));
    t.after(() => api.server.close());
    const config = await configFile('cli-socket.toml', `socket = "${socket}"`);
    const status = await cli(['status', '--json', '--config', config]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { node: string }).node, 'stand-in');
    assert.deepEqual(api.asked, [{ method: 'GET', url: '/v1/status', authorization: undefined }]);
  });

  it('drain and undrain over TCP with the URL and token file from the file', async (t) => {
    const api = await standIn((s) => new Promise((r) => s.listen(0, '127.0.0.1', r)));
    t.after(() => api.server.close());
    const port = (api.server.address() as AddressInfo).port;
    const token = join(dir, 'token');
    await writeFile(token, 'sekrit-token\n');
    const config = await configFile(
      'cli-tcp.toml',
      `socket = false\nlisten = "127.0.0.1:${port}"\ntoken_file = "${token}"`,
    );
    const drained = await cli(['drain', 'web', '--reason', 'maintenance', '--config', config]);
    assert.equal(drained.code, 0, drained.stderr);
    const undrained = await cli(['undrain', 'web', '-c', config]);
    assert.equal(undrained.code, 0, undrained.stderr);
    assert.deepEqual(api.asked, [
      { method: 'POST', url: '/v1/services/web/drain', authorization: 'Bearer sekrit-token' },
      { method: 'POST', url: '/v1/services/web/undrain', authorization: 'Bearer sekrit-token' },
    ]);
  });
});
