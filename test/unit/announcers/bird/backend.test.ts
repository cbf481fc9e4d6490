// The BIRD backend on real files in a temp dir and a recorded birdc that answers with
// BIRD 2.0.12's captured words: what is written, when configure runs, how BIRD's answer
// becomes an AnnouncerFailure, and what status shows.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import pino from 'pino';
import {
  AnnouncerFailure,
  type AnnouncedRoute,
  type CommandOptions,
  type CommandResult,
  type SyncRequest,
} from '../../../../src/announcers/index.js';
import {
  BirdBackend,
  createBirdAnnouncer,
  parseBirdSettings,
} from '../../../../src/announcers/bird/index.js';
import { IssueList } from '../../../../src/validation/index.js';
import { ManualClock } from '../../../../src/clock/index.js';

const quiet = pino({ level: 'silent' });

const OK = {
  exitCode: 0,
  stdout:
    '0001 BIRD 2.0.12 ready.\n0002-Reading configuration from /etc/bird/bird.conf\n0003 Reconfigured\n',
  stderr: '',
};
const REJECTED = {
  exitCode: 1,
  stdout:
    '0001 BIRD 2.0.12 ready.\n0002-Reading configuration from /etc/bird/bird.conf\n8002 /etc/bird/bird.conf:5:39 syntax error, unexpected CF_SYM_UNDEFINED\n',
  stderr: '',
};
const DOWN = {
  exitCode: 1,
  stdout: '',
  stderr:
    'Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n',
};

class FakeBirdc {
  readonly calls: string[][] = [];
  configureAnswer: CommandResult = OK;
  routes = '';
  run = (argv: readonly string[], _options?: CommandOptions): Promise<CommandResult> => {
    this.calls.push([...argv]);
    if (argv.includes('show'))
      return Promise.resolve({
        exitCode: 0,
        stdout: `BIRD 2.0.12 ready.\n${this.routes}`,
        stderr: '',
      });
    return Promise.resolve(this.configureAnswer);
  };
  get configures(): string[][] {
    return this.calls.filter((c) => c.includes('configure'));
  }
}

async function fixture(t: TestContext, raw: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'ag-bird-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const issues = new IssueList();
  const settings = parseBirdSettings(
    {
      ipv4_file: join(dir, 'anycast-prefixes.conf'),
      ipv6_file: join(dir, '6', 'anycast-prefixes.conf'),
      ...raw,
    },
    ['announcers', 'bird'],
    issues,
  );
  assert.deepEqual(issues.items, []);
  assert.ok(settings);
  const birdc = new FakeBirdc();
  const backend = new BirdBackend({ settings, logger: quiet, run: birdc.run });
  return {
    dir,
    settings,
    birdc,
    backend,
    v4: join(dir, 'anycast-prefixes.conf'),
    v6: join(dir, '6', 'anycast-prefixes.conf'),
  };
}

function route(prefix: string): AnnouncedRoute {
  return { prefix, attributes: {} };
}

function request(wanted: string[], applied: string[] | undefined, final = false): SyncRequest {
  const map = (list: string[]) => new Map(list.map((p) => [p, route(p)]));
  return {
    wanted: map(wanted),
    owned: map(wanted),
    applied: applied === undefined ? undefined : map(applied),
    final,
  };
}

describe('BirdBackend', () => {
  it('first sync: both files written (the IPv6 directory made), one configure', async (t) => {
    const { backend, birdc, v4, v6 } = await fixture(t);
    await backend.sync(request(['203.0.113.53/32', '2001:db8::53/128'], undefined));
    assert.match(await readFile(v4, 'utf8'), /10\.189\.200\.255\/32,\n {8}203\.0\.113\.53\/32\n/);
    assert.match(
      await readFile(v6, 'utf8'),
      /define ACAST6_PS_ADVERTISE =\n {4}\[\n {8}2001:db8::1\/128,\n {8}2001:db8::53\/128\n/,
    );
    assert.equal((await stat(v4)).mode & 0o777, 0o644);
    assert.deepEqual(birdc.configures, [['birdc', '-v', 'configure']]);
  });

  it('unchanged set: the file is not rewritten and BIRD not reconfigured', async (t) => {
    const { backend, birdc, v4 } = await fixture(t);
    await backend.sync(request(['203.0.113.53/32'], undefined));
    const before = await stat(v4);
    await backend.sync(request(['203.0.113.53/32'], ['203.0.113.53/32']));
    const after = await stat(v4);
    assert.equal(after.ino, before.ino, 'replaced although unchanged');
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(birdc.configures.length, 1);
  });

  it('after a failure (applied unknown) BIRD is reconfigured even with the files unchanged', async (t) => {
    const { backend, birdc } = await fixture(t);
    await backend.sync(request(['203.0.113.53/32'], undefined));
    await backend.sync(request(['203.0.113.53/32'], undefined));
    assert.equal(birdc.configures.length, 2);
  });

  it('a change in both families: both files, then a single configure', async (t) => {
    const { backend, birdc, v4, v6 } = await fixture(t);
    await backend.sync(request([], undefined));
    birdc.calls.length = 0;
    await backend.sync(request(['203.0.113.1/32', '203.0.113.2/32', '2001:db8::2/128'], []));
    assert.deepEqual(birdc.configures, [['birdc', '-v', 'configure']]);
    assert.match(await readFile(v4, 'utf8'), /203\.0\.113\.1\/32,\n {8}203\.0\.113\.2\/32/);
    assert.match(await readFile(v6, 'utf8'), /2001:db8::2\/128/);
  });

  it('withdrawing everything leaves the dummy alone in each set', async (t) => {
    const { backend, v4, v6 } = await fixture(t);
    await backend.sync(request(['203.0.113.53/32', '2001:db8::53/128'], undefined));
    await backend.sync(request([], ['203.0.113.53/32', '2001:db8::53/128'], true));
    assert.match(await readFile(v4, 'utf8'), /\[\n {8}10\.189\.200\.255\/32\n {4}\];/);
    assert.match(await readFile(v6, 'utf8'), /\[\n {8}2001:db8::1\/128\n {4}\];/);
  });

  it('a stale prefix in the file (a killed run’s) is gone after the first sync', async (t) => {
    const { backend, v4 } = await fixture(t);
    await backend.sync(request(['203.0.113.9/32', '203.0.113.53/32'], undefined));
    // A new process: nothing known, nothing wanted yet.
    const { backend: fresh } = {
      backend: new BirdBackend({
        settings: (backend as unknown as { settings: never }).settings,
        logger: quiet,
        run: new FakeBirdc().run,
      }),
    };
    await fresh.sync(request([], undefined));
    assert.doesNotMatch(await readFile(v4, 'utf8'), /203\.0\.113/);
  });

  it('BIRD 1.x: two daemons, each reconfigured only when its own file changed', async (t) => {
    const { backend, birdc } = await fixture(t, {
      socket: '/run/bird/bird.ctl',
      ipv6_socket: '/run/bird/bird6.ctl',
    });
    await backend.sync(request([], undefined));
    assert.equal(birdc.configures.length, 2);
    birdc.calls.length = 0;
    await backend.sync(request(['2001:db8::53/128'], []));
    assert.deepEqual(birdc.configures, [['birdc', '-s', '/run/bird/bird6.ctl', '-v', 'configure']]);
    birdc.calls.length = 0;
    await backend.sync(request(['2001:db8::53/128', '203.0.113.53/32'], ['2001:db8::53/128']));
    assert.deepEqual(birdc.configures, [['birdc', '-s', '/run/bird/bird.ctl', '-v', 'configure']]);
  });

  it('BIRD refusing the file is ANNOUNCER_REJECTED with its own words', async (t) => {
    const { backend, birdc } = await fixture(t);
    birdc.configureAnswer = REJECTED;
    await assert.rejects(
      backend.sync(request(['203.0.113.53/32'], undefined)),
      (error: unknown) =>
        error instanceof AnnouncerFailure &&
        error.code === 'ANNOUNCER_REJECTED' &&
        error.message.includes(
          '"/etc/bird/bird.conf:5:39 syntax error, unexpected CF_SYM_UNDEFINED"',
        ) &&
        error.message.includes('goes on exporting the prefix set it loaded last'),
    );
    assert.equal(
      backend.detail().answer,
      '/etc/bird/bird.conf:5:39 syntax error, unexpected CF_SYM_UNDEFINED',
    );
  });

  it('BIRD not running is ANNOUNCER_DAEMON_UNREACHABLE', async (t) => {
    const { backend, birdc } = await fixture(t);
    birdc.configureAnswer = DOWN;
    await assert.rejects(
      backend.sync(request([], undefined)),
      (error: unknown) =>
        error instanceof AnnouncerFailure &&
        error.code === 'ANNOUNCER_DAEMON_UNREACHABLE' &&
        error.message.startsWith(
          'cannot reach BIRD: Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory',
        ),
    );
  });

  it('a custom command that is not birdc: exit 0 is success, exit 1 a failure', async (t) => {
    const { backend, birdc } = await fixture(t, {
      reconfigure_command: ['/usr/local/bin/reload-bird'],
    });
    // Not BIRD's words: its exit status decides.
    birdc.configureAnswer = { exitCode: 0, stdout: 'reloaded\n', stderr: '' };
    await backend.sync(request([], undefined));
    assert.equal(backend.detail().answer, '/usr/local/bin/reload-bird: exit code 0');
    // birdc's words through a wrapper are still read.
    birdc.configureAnswer = { ...REJECTED, exitCode: 0 };
    await assert.rejects(backend.sync(request([], undefined)), /refused to reconfigure/);
    birdc.configureAnswer = { exitCode: 3, stdout: '', stderr: 'no bird here\n' };
    await assert.rejects(
      backend.sync(request([], undefined)),
      (error: unknown) =>
        error instanceof AnnouncerFailure &&
        error.code === 'ANNOUNCER_COMMAND_FAILED' &&
        /exit code 3: no bird here/.test(error.message),
    );
  });

  it('a prefix that is the dummy, or of a family turned off, is a configuration failure after the rest is applied', async (t) => {
    const { backend, birdc, v4 } = await fixture(t, { ipv6_file: false });
    await assert.rejects(
      backend.sync(request(['203.0.113.1/32', '2001:db8::53/128'], undefined)),
      (error: unknown) =>
        error instanceof AnnouncerFailure &&
        error.code === 'ANNOUNCER_CONFIG' &&
        /2001:db8::53\/128 cannot be announced through BIRD: ipv6_file = false/.test(error.message),
    );
    assert.match(await readFile(v4, 'utf8'), /203\.0\.113\.1\/32/);
    assert.equal(birdc.configures.length, 1);
    await assert.rejects(
      backend.sync(request(['10.189.200.255/32'], undefined)),
      /is ipv4_dummy_prefix/,
    );
  });

  it('one family’s file failing does not hold back the other: BIRD is reconfigured, then the failure is thrown', async (t) => {
    const { backend, birdc, v4 } = await fixture(t, {
      ipv6_file: '/dev/null/6/anycast-prefixes.conf',
    });
    await assert.rejects(
      backend.sync(request(['203.0.113.53/32', '2001:db8::53/128'], undefined)),
      (error: unknown) =>
        error instanceof AnnouncerFailure &&
        error.code === 'ANNOUNCER_FILE' &&
        error.message.startsWith(
          'cannot write the BIRD prefix file /dev/null/6/anycast-prefixes.conf: ',
        ),
    );
    assert.match(await readFile(v4, 'utf8'), /203\.0\.113\.53/);
    assert.equal(birdc.configures.length, 1);
  });

  it('wanted prefixes BIRD has no route for are shown in status', async (t) => {
    const { backend, birdc } = await fixture(t);
    birdc.routes =
      'Table master4:\n203.0.113.53/32      unicast [direct1 04:30:13.988] * (240)\n\tdev lo\n';
    await backend.sync(request(['203.0.113.53/32', '203.0.113.54/32'], undefined));
    assert.deepEqual(
      birdc.calls.filter((c) => c.includes('show')),
      [['birdc', 'show', 'route', 'where', 'net', '~', 'ACAST_PS_ADVERTISE']],
    );
    assert.equal(backend.detail().routesMissing, '203.0.113.54/32');
    birdc.routes += '203.0.113.54/32      unicast [direct1 04:30:13.988] * (240)\n';
    await backend.sync(request(['203.0.113.53/32'], ['203.0.113.53/32', '203.0.113.54/32']));
    assert.equal(backend.detail().routesMissing, undefined);
  });

  it('through a symlink the target is replaced, not the link', async (t) => {
    const { dir, settings, birdc } = await fixture(t);
    const real = join(dir, 'real');
    await mkdir(real);
    const link = join(dir, 'link.conf');
    await symlink(join(real, 'prefixes.conf'), link);
    const linked = { ...settings, ipv4: { ...settings.ipv4!, file: link } };
    const backend = new BirdBackend({ settings: linked, logger: quiet, run: birdc.run });
    await backend.sync(request(['203.0.113.53/32'], undefined));
    assert.match(await readFile(join(real, 'prefixes.conf'), 'utf8'), /203\.0\.113\.53/);
    assert.match(await readFile(link, 'utf8'), /203\.0\.113\.53/);
  });
});

describe('createBirdAnnouncer', () => {
  it('a rejection shows as failing in status with BIRD’s words, and is retried until BIRD takes it', async (t) => {
    const { settings, birdc, v4 } = await fixture(t);
    const clock = new ManualClock();
    const announcer = createBirdAnnouncer(
      settings,
      { logger: quiet, clock, stateDir: join(settings.ipv4!.file, '..', 'state') },
      { run: birdc.run, random: () => 0.5, retryMs: 1000 },
    );
    birdc.configureAnswer = REJECTED;
    const settle = async (ms: number) => {
      for (let i = 0; i < 50; i++) {
        clock.advance(i === 0 ? ms : 0);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const started = announcer.start();
    for (let i = 0; i < 5000 && announcer.status().failures < 1; i++) await settle(0);
    await started;
    announcer.announce(route('203.0.113.53/32'));
    await settle(0);
    for (let i = 0; i < 5000 && announcer.status().failures < 2; i++) await settle(0);
    const failing = announcer.status();
    assert.equal(failing.state, 'failing');
    assert.equal(failing.lastError?.code, 'ANNOUNCER_REJECTED');
    assert.match(failing.lastError?.message ?? '', /CF_SYM_UNDEFINED/);
    assert.ok(failing.retryAt !== undefined);
    assert.equal(
      failing.detail?.answer,
      '/etc/bird/bird.conf:5:39 syntax error, unexpected CF_SYM_UNDEFINED',
    );
    // The file already holds the wanted set; BIRD has not taken it.
    assert.match(await readFile(v4, 'utf8'), /203\.0\.113\.53/);

    birdc.configureAnswer = OK;
    const before = birdc.configures.length;
    for (let i = 0; i < 5000 && announcer.status().state !== 'in-sync'; i++) await settle(1000);
    assert.equal(announcer.status().state, 'in-sync');
    assert.ok(birdc.configures.length > before);
    assert.equal(announcer.status().detail?.answer, 'Reconfigured');

    let stopped = false;
    const stopping = announcer.stop('test').then(() => (stopped = true));
    for (let i = 0; i < 5000 && !stopped; i++) await settle(0);
    await stopping;
    assert.match(await readFile(v4, 'utf8'), /\[\n {8}10\.189\.200\.255\/32\n {4}\];/);
  });

  it('many services changing in one tick: one configure', async (t) => {
    const { settings, birdc, v4, v6 } = await fixture(t);
    const clock = new ManualClock();
    const announcer = createBirdAnnouncer(
      settings,
      { logger: quiet, clock, stateDir: join(settings.ipv4!.file, '..', 'state') },
      { run: birdc.run },
    );
    // File writes (fsync) finish on the thread pool: turn the loop until they have.
    const turns = async (done: () => boolean) => {
      for (let i = 0; i < 200_000 && !done(); i++) {
        clock.advance(0);
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(done(), `condition not reached: ${JSON.stringify(announcer.status())}`);
    };
    const started = announcer.start();
    await turns(() => announcer.status().state === 'in-sync');
    await started;
    const before = birdc.configures.length;
    for (const prefix of ['203.0.113.1/32', '203.0.113.2/32', '2001:db8::3/128', '198.51.100.0/24'])
      announcer.announce(route(prefix));
    await turns(() => announcer.status().state === 'in-sync' && announcer.status().applied === 4);
    assert.equal(birdc.configures.length - before, 1);
    assert.match(
      await readFile(v4, 'utf8'),
      /198\.51\.100\.0\/24,\n {8}203\.0\.113\.1\/32,\n {8}203\.0\.113\.2\/32\n/,
    );
    assert.match(await readFile(v6, 'utf8'), /2001:db8::3\/128/);
    let stopped = false;
    const stopping = announcer.stop('test').then(() => (stopped = true));
    await turns(() => stopped);
    await stopping;
  });

  it('a file someone else rewrote is noticed at the next look and put back', async (t) => {
    const { settings, birdc, v4 } = await fixture(t);
    const clock = new ManualClock();
    const announcer = createBirdAnnouncer(
      settings,
      { logger: quiet, clock, stateDir: join(settings.ipv4!.file, '..', 'state') },
      { run: birdc.run },
    );
    const turns = async (done: () => boolean | Promise<boolean>) => {
      for (let i = 0; i < 200_000 && !(await done()); i++) {
        clock.advance(0);
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(await done(), `condition not reached: ${JSON.stringify(announcer.status())}`);
    };
    const started = announcer.start();
    await turns(() => announcer.status().state === 'in-sync');
    await started;
    announcer.announce(route('203.0.113.53/32'));
    await turns(() => announcer.status().applied === 1 && announcer.status().state === 'in-sync');
    const ours = await readFile(v4, 'utf8');

    // A look with nothing changed asks BIRD nothing.
    const before = birdc.calls.length;
    clock.advance(30_000);
    await turns(() => true);
    for (let i = 0; i < 1000; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(birdc.calls.length, before);

    // anycast-healthchecker, still running, writes its own set.
    await writeFile(
      v4,
      'define ACAST_PS_ADVERTISE =\n    [\n        10.189.200.255/32,\n        203.0.113.99/32\n    ];\n',
    );
    clock.advance(30_000);
    await turns(
      async () =>
        (await readFile(v4, 'utf8')) === ours &&
        birdc.calls.length > before &&
        announcer.status().state === 'in-sync',
    );
    assert.ok(birdc.calls.length > before, 'BIRD was not reconfigured');
    assert.equal(announcer.status().detail?.rewrittenAfterOutsideChange, v4);

    let stopped = false;
    const stopping = announcer.stop('test').then(() => (stopped = true));
    await turns(() => stopped);
    await stopping;
  });
});
