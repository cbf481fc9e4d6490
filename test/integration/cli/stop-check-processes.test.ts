/**
 * Issue 12 item 6: a clean stop leaves no check process behind. `anycast-guard run` as a
 * real process; its exec checks ignore SIGTERM and are running when SIGTERM arrives.
 * After the daemon exits, /proc holds no live process of their groups, nor the child one
 * of them moved into a session of its own with setsid while its parent still ran.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { splayFraction } from '../../../src/checks/index.js';
import { eventually } from '../../helpers/raw-peer.js';
import { runFixture, type RunFixture } from '../../helpers/loopback.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const SERVICE = 'hung';
const INTERVAL = 30;

/** A check name whose first run comes within 3% of the interval (the daemon's splay). */
function earlyName(prefix: string): string {
  for (let i = 0; ; i++) {
    const name = `${prefix}-${i}`;
    if (splayFraction(`${SERVICE}\0exec\0${name}`) < 0.03) return name;
  }
}

interface Proc {
  pid: number;
  state: string;
  pgrp: number;
}

async function liveProcesses(): Promise<Proc[]> {
  const out: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = await readFile(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state = '', , pgrp = ''] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Zombies hold nothing; where PID 1 does not reap, killed orphans stay as zombies.
    if (state !== 'Z' && state !== 'X') out.push({ pid: Number(name), state, pgrp: Number(pgrp) });
  }
  return out;
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function argv(script: string): string {
  return `[${['sh', '-c', script].map((s) => JSON.stringify(s)).join(', ')}]`;
}

describe('anycast-guard run: stop ends every check process', () => {
  let fixture: RunFixture;
  const file = (name: string): string => join(fixture.dir, name);

  before(async () => {
    fixture = await runFixture('stop-checks', (dir) => {
      const hang = `echo $$ > ${dir}/hang.pid; trap "" TERM; sleep 1000`;
      const inner = `echo $$ > ${dir}/escaped.pid; trap "" TERM; sleep 1000`;
      const escape = `setsid sh -c '${inner}' & echo $$ > ${dir}/escape.pid; trap "" TERM; sleep 1000`;
      return `
[services.${SERVICE}]
prefixes = ["203.0.113.98"]
checks.exec = [
  { name = "${earlyName('hang')}", command = ${argv(hang)}, interval = ${INTERVAL}, timeout = ${INTERVAL} },
  { name = "${earlyName('escape')}", command = ${argv(escape)}, interval = ${INTERVAL}, timeout = ${INTERVAL} },
]
`;
    });
  });

  after(() => fixture.close());

  it('SIGTERM: the groups ignoring SIGTERM and the setsid child are gone when the daemon exits', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--config', fixture.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    try {
      const [hang, escape, escaped] = await eventually(
        () => {
          const pids = [file('hang.pid'), file('escape.pid'), file('escaped.pid')].map(readPid);
          return pids.every((pid): pid is number => pid !== undefined) ? pids : undefined;
        },
        'the checks to be running',
        10_000,
      );
      assert.ok(hang && escape && escaped);

      const running = await liveProcesses();
      assert.ok(
        running.filter((p) => p.pgrp === hang).length >= 2,
        'sh and sleep in the hang group',
      );
      const stray = running.find((p) => p.pid === escaped);
      assert.ok(stray, 'the setsid child runs');
      assert.notEqual(stray.pgrp, escape, 'the setsid child left the check’s group');

      child.kill('SIGTERM');
      assert.equal(await exit, 0, output);

      const left = (await liveProcesses()).filter(
        (p) => p.pgrp === hang || p.pgrp === escape || p.pid === escaped,
      );
      assert.deepEqual(left, [], 'check processes outlived the daemon');
    } finally {
      child.kill('SIGKILL');
      // A failed run must not leave its sleeps behind either.
      for (const name of ['hang.pid', 'escape.pid', 'escaped.pid']) {
        const pid = readPid(file(name));
        if (pid === undefined) continue;
        for (const target of [-pid, pid]) {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    }
  });
});
