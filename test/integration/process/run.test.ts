/**
 * runProcess and its two callers against real child processes: exit codes, stdin, the
 * C locale, the time limit (the child really dies), the output cap, errno failures.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ipCommand } from '../../../src/addresses/ip-command.js';
import { IpCommandError } from '../../../src/addresses/errors.js';
import { runCommand } from '../../../src/announcers/command.js';
import { AnnouncerFailure } from '../../../src/announcers/errors.js';
import { runProcess } from '../../../src/process/index.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runProcess', () => {
  let dir = '';
  let notExecutable = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ag-process-'));
    notExecutable = join(dir, 'script.sh');
    await writeFile(notExecutable, '#!/bin/sh\necho hi\n');
    await chmod(notExecutable, 0o644);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('returns exit 0 with stdout and stderr apart', async () => {
    const outcome = await runProcess('sh', ['-c', 'echo out; echo err >&2']);
    assert.equal(outcome.kind, 'exit');
    assert.equal(outcome.kind === 'exit' && outcome.exitCode, 0);
    assert.equal(outcome.stdout, 'out\n');
    assert.equal(outcome.stderr, 'err\n');
  });

  it('returns a non-zero exit code with the output so far', async () => {
    const outcome = await runProcess('sh', ['-c', 'echo partial; exit 3']);
    assert.equal(outcome.kind, 'exit');
    assert.equal(outcome.kind === 'exit' && outcome.exitCode, 3);
    assert.equal(outcome.stdout, 'partial\n');
  });

  it('reports a signal the child got from elsewhere as exit with no code', async () => {
    const outcome = await runProcess('sh', ['-c', 'kill -TERM $$']);
    assert.equal(outcome.kind, 'exit');
    assert.equal(outcome.kind === 'exit' && outcome.exitCode, null);
    assert.equal(outcome.kind === 'exit' && outcome.signal, 'SIGTERM');
  });

  it('writes input to stdin and closes it', async () => {
    const outcome = await runProcess('cat', [], { input: 'line one\nline two\n' });
    assert.equal(outcome.stdout, 'line one\nline two\n');
    // Without input stdin is closed at once, so a reader ends instead of hanging.
    const empty = await runProcess('cat', [], { timeoutMs: 5000 });
    assert.equal(empty.kind, 'exit');
    assert.equal(empty.stdout, '');
  });

  it('runs the child with LC_ALL=C', async () => {
    const outcome = await runProcess('sh', ['-c', 'printf %s "$LC_ALL"']);
    assert.equal(outcome.stdout, 'C');
  });

  it('kills a child that outruns the time limit', async () => {
    const started = Date.now();
    const outcome = await runProcess('sh', ['-c', 'echo $$; exec sleep 30'], { timeoutMs: 200 });
    assert.equal(outcome.kind, 'timeout');
    assert.equal(outcome.kind === 'timeout' && outcome.timeoutMs, 200);
    assert.ok(Date.now() - started < 10_000, 'it did not wait for the child to finish');
    const pid = Number(outcome.stdout.trim());
    assert.ok(pid > 0, `the child printed its pid: ${outcome.stdout}`);
    assert.equal(alive(pid), false, 'the child is gone');
  });

  it('kills a child whose output passes the cap', async () => {
    const outcome = await runProcess('sh', ['-c', 'head -c 100000 /dev/zero; exec sleep 30'], {
      maxOutputBytes: 1000,
      timeoutMs: 20_000,
    });
    assert.equal(outcome.kind, 'output-limit');
    assert.equal(
      outcome.kind === 'output-limit' && outcome.code,
      'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
    );
    assert.ok(outcome.stdout.length <= 1000);
  });

  it('reports ENOENT for a program that does not exist', async () => {
    const outcome = await runProcess(join(dir, 'no-such-program'), []);
    assert.equal(outcome.kind, 'spawn-error');
    assert.equal(outcome.kind === 'spawn-error' && outcome.code, 'ENOENT');
  });

  it('reports EACCES for a file that is not executable', async () => {
    const outcome = await runProcess(notExecutable, []);
    assert.equal(outcome.kind, 'spawn-error');
    assert.equal(outcome.kind === 'spawn-error' && outcome.code, 'EACCES');
  });
});

describe('runCommand (announcers) over runProcess', () => {
  const failure = (code: string) => (error: unknown) =>
    error instanceof AnnouncerFailure && error.code === code;

  it('keeps its error codes and messages', async () => {
    assert.deepEqual(await runCommand(['sh', '-c', 'echo ok']), {
      exitCode: 0,
      stdout: 'ok\n',
      stderr: '',
    });
    await assert.rejects(runCommand(['/nonexistent/birdc']), (error: unknown) => {
      assert.ok(failure('ANNOUNCER_COMMAND_NOT_FOUND')(error));
      assert.match((error as Error).message, /^cannot run \/nonexistent\/birdc: not found/);
      return true;
    });
    await assert.rejects(runCommand(['sh', '-c', 'exec sleep 30'], { timeoutMs: 100 }), (error) => {
      assert.ok(failure('ANNOUNCER_COMMAND_TIMEOUT')(error));
      assert.equal(
        (error as Error).message,
        'sh -c "exec sleep 30": killed after 100 ms without finishing',
      );
      return true;
    });
    await assert.rejects(runCommand(['sh', '-c', 'echo nope >&2; exit 2']), (error) => {
      assert.ok(failure('ANNOUNCER_COMMAND_FAILED')(error));
      assert.equal((error as Error).message, 'sh -c "echo nope >&2; exit 2": exit code 2: nope');
      return true;
    });
    const allowed = await runCommand(['sh', '-c', 'echo why; exit 4'], { allowFailure: true });
    assert.deepEqual(allowed, { exitCode: 4, stdout: 'why\n', stderr: '' });
    await assert.rejects(runCommand([]), /runCommand: empty argv/);
  });
});

describe('ipCommand (addresses) over runProcess', () => {
  it('keeps IpCommandError fields for each way of failing', async () => {
    const ok = ipCommand({ command: ['sh', '-c', 'echo "$@"', 'sh'] });
    assert.equal(await ok(['addr', 'show']), 'addr show\n');

    const missing = ipCommand({ command: ['/nonexistent/ip'] });
    await assert.rejects(missing(['addr']), (error: unknown) => {
      assert.ok(error instanceof IpCommandError);
      assert.equal(error.spawnError, 'ENOENT');
      assert.equal(error.exitCode, undefined);
      assert.equal(error.message, '/nonexistent/ip addr: cannot run /nonexistent/ip (ENOENT)');
      return true;
    });

    const failing = ipCommand({
      command: ['sh', '-c', 'echo "RTNETLINK answers: File exists" >&2; exit 2', 'sh'],
    });
    await assert.rejects(failing(['addr', 'add']), (error: unknown) => {
      assert.ok(error instanceof IpCommandError);
      assert.equal(error.exitCode, 2);
      assert.equal(error.spawnError, undefined);
      assert.equal(error.stderr, 'RTNETLINK answers: File exists\n');
      assert.match(error.message, /: exit code 2: RTNETLINK answers: File exists$/);
      return true;
    });

    const slow = ipCommand({ command: ['sh', '-c', 'exec sleep 30', 'sh'], timeoutMs: 100 });
    await assert.rejects(slow(['addr']), (error: unknown) => {
      assert.ok(error instanceof IpCommandError);
      assert.equal(error.exitCode, undefined);
      assert.match(error.message, /: killed after 100 ms$/);
      return true;
    });
  });
});
