/**
 * `anycast-guard run` as ExaBGP's API process with a file it cannot use: it stays up
 * announcing nothing (ExaBGP would respawn it, then give up and drop every session),
 * withdraws what an earlier run left in ExaBGP, says why on stderr and in status, and
 * runs once SIGHUP finds the file fixed. This test plays ExaBGP on the pipes: it answers
 * every line with "done", as ExaBGP does with exabgp.api.ack.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

function status(socketPath: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/v1/status' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('under ExaBGP with a bad file', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-exabgp-hold-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('stays up announcing nothing, says why, and runs once SIGHUP finds the file fixed', async () => {
    const configPath = join(dir, 'config.toml');
    const socket = join(dir, 'control.sock');
    const good = `[api]
listen = false
socket = "${socket}"
state_dir = "${dir}"

[services.web]
prefixes.exabgp = ["203.0.113.78"]
announce = "always"
`;
    await writeFile(configPath, good.replace('announce =', 'anounce ='));
    // What a crashed run had announced through ExaBGP.
    await writeFile(
      join(dir, 'announcer-exabgp.json'),
      JSON.stringify({ version: 1, routes: [{ prefix: '203.0.113.77/32' }] }),
    );
    const child = spawn(process.execPath, [CLI, 'run', '--config', configPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    const lines: string[] = [];
    let partial = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      partial += c.toString();
      let at: number;
      while ((at = partial.indexOf('\n')) >= 0) {
        lines.push(partial.slice(0, at));
        partial = partial.slice(at + 1);
        child.stdin.write('done\n');
      }
    });
    let exited: number | null | undefined;
    const exit = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve((exited = code))),
    );
    try {
      await eventually(() => loggedEvent(stderr, 'config.invalid_held'), 'the hold', 10_000);
      await eventually(
        () => lines.includes('withdraw route 203.0.113.77/32'),
        'the earlier run’s route withdrawn',
        10_000,
      );
      const held = await eventually(
        () => (loggedEvent(stderr, 'api.listening') ? true : undefined),
        'the status socket',
        10_000,
      );
      assert.ok(held);
      const view = await status(socket);
      assert.match(String(view.configError), /services\.web\.anounce/);
      assert.deepEqual(view.services, []);
      assert.equal(exited, undefined, `still running: ${stderr.slice(-2000)}`);
      assert.ok(!lines.some((l) => l.startsWith('announce')), 'nothing announced while held');

      // Still bad: held again, still running.
      child.kill('SIGHUP');
      await eventually(
        () => stderr.split('"config.invalid_held"').length - 1 >= 2,
        'the second hold',
        10_000,
      );
      await writeFile(configPath, good);
      child.kill('SIGHUP');
      await eventually(
        () => lines.some((l) => /^announce route 203\.0\.113\.78\/32 /.test(l)),
        'the announcement once fixed',
        15_000,
      );
      assert.ok(loggedEvent(stderr, 'config.loaded_after_hold'));
      child.kill('SIGTERM');
      assert.equal(await exit, 0, stderr.slice(-2000));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('without ExaBGP a bad file still exits 1 at once', async () => {
    const configPath = join(dir, 'plain.toml');
    await writeFile(
      configPath,
      `[api]\nsocket = false\nlisten = false\n[services.web]\nanounce = "always"\n`,
    );
    const child = spawn(process.execPath, [CLI, 'run', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
  });
});
