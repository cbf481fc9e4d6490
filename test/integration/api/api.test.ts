/**
 * The API over a real TCP port and a real unix socket, in front of a real Daemon
 * checking a real HTTP service and announcing to our BGP collector on loopback.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  ApiError,
  ApiServer,
  DrainStore,
  Metrics,
  type ApiDaemon,
  type StatusView,
} from '../../../src/api/index.js';
import { BgpSpeaker } from '../../../src/bgp/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { Daemon } from '../../../src/daemon/index.js';
import { eventually } from '../../helpers/raw-peer.js';
import {
  ToggleService,
  bgpSection,
  collectedPrefixes,
  startCollector,
} from '../../helpers/loopback.js';

const main = join(import.meta.dirname, '../../../src/cli/main.js');

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

type Where = { socketPath: string } | { host: string; port: number };

function call(
  where: Where,
  method: string,
  path: string,
  options: { body?: string; token?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...where,
        method,
        path,
        headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Prometheus text → "name{labels}" → value (labels as written by prom-client, in order). */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    assert.ok(match, `a metrics line: ${line}`);
    series.set(match[1]!, Number(match[2]));
  }
  return series;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

describe('operator API over loopback', () => {
  const web = new ToggleService();
  let collector: BgpSpeaker;
  let dir = '';
  let tokenFile = '';
  const TOKEN = 's3cret-token';

  before(async () => {
    await web.start();
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-api-'));
    tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    collector = await startCollector();
  });

  after(async () => {
    await collector.stop();
    await web.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const routes = (): string[] => collectedPrefixes(collector);

  interface Stack {
    daemon: Daemon;
    api: ApiServer;
    tcp: Where;
    unix: Where;
    socket: string;
    results: { ok: boolean; routes: number }[];
    stop(): Promise<void>;
  }

  async function startStack(stateDir: string, options: { token?: boolean } = {}): Promise<Stack> {
    const config = parseConfig(
      `${bgpSection(collector)}
[services.web]
prefixes = ["203.0.113.80", "2001:db8::80"]
checks.http = [{ name = "health", url = "http://127.0.0.1:${web.port}/", interval = 0.05, timeout = 0.05 }]
rise = 1
fall = 1
hold_down = 0
`,
      'api-test.toml',
    );
    const store = new DrainStore(stateDir);
    await store.load();
    const results: Stack['results'] = [];
    const metrics = new Metrics(() => daemon.status());
    const daemon: Daemon = new Daemon(config, {
      logger: pino({ level: 'silent' }),
      drained: store.reasons(),
      onTransition: (t) => metrics.onTransition(t),
      onCheckResult: (service, check, result, timing) => {
        metrics.onCheckResult(service, check, result, timing);
        results.push({ ok: result.ok, routes: routes().length });
      },
    });
    await daemon.start();
    const socket = join(stateDir, 'run', 'control.sock');
    const api = new ApiServer({
      daemon,
      store,
      metrics,
      logger: pino({ level: 'silent' }),
      listen: { host: '127.0.0.1', port: 0 },
      socket,
      node: 'test-node',
      ...(options.token === false ? {} : { tokenFile }),
    });
    await api.start();
    return {
      daemon,
      api,
      socket,
      results,
      tcp: { host: '127.0.0.1', port: api.tcpAddress?.port ?? 0 },
      unix: { socketPath: socket },
      async stop() {
        await api.stop();
        await daemon.stop('test over');
        await eventually(() => routes().length === 0, 'every route withdrawn');
      },
    };
  }

  it('serves status, healthz and metrics that match the daemon', async () => {
    const stack = await startStack(join(dir, 'status'));
    try {
      await eventually(() => routes().length === 2, 'the routes');
      const socketMode = (await stat(stack.socket)).mode & 0o777;
      assert.equal(socketMode, 0o660);

      const health = await call(stack.tcp, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.text), { status: 'ok', node: 'test-node' });

      const answer = await call(stack.tcp, 'GET', '/v1/status');
      assert.equal(answer.status, 200);
      assert.match(String(answer.headers['content-type']), /application\/json/);
      const status = JSON.parse(answer.text) as StatusView;
      assert.equal(status.node, 'test-node');
      const service = status.services[0];
      assert.equal(service?.name, 'web');
      assert.equal(service.state, 'up');
      assert.ok(service.since <= Date.now());
      // `peers` (to how many routers it went) is checked below, once both were sent.
      assert.deepEqual(
        service.prefixes.map(({ peers: _peers, ...p }) => p),
        [
          { prefix: '203.0.113.80/32', announcer: 'bgp', announced: true, synced: true },
          { prefix: '2001:db8::80/128', announcer: 'bgp', announced: true, synced: true },
        ],
      );
      assert.equal(service.checks[0]?.name, 'health');
      assert.equal(service.checks[0]?.last?.ok, true);
      assert.equal(typeof service.checks[0]?.last?.durationMs, 'number');
      assert.equal(service.checks[0]?.last?.trigger, 'interval');
      await eventually(
        () => stack.daemon.status().peers[0]?.prefixesAnnounced === 2,
        'both prefixes sent',
      );
      const peers = (JSON.parse((await call(stack.unix, 'GET', '/v1/status')).text) as StatusView)
        .peers;
      assert.equal(peers[0]?.state, 'established');
      assert.equal(peers[0]?.prefixesSent, 2);
      const sentTo = (
        JSON.parse((await call(stack.unix, 'GET', '/v1/status')).text) as StatusView
      ).services[0]?.prefixes.map((p) => p.peers);
      assert.deepEqual(sentTo, [
        { sent: 1, of: 1 },
        { sent: 1, of: 1 },
      ]);

      await eventually(() => stack.results.length >= 3, 'three check results');
      const metricsAnswer = await call(stack.tcp, 'GET', '/metrics');
      assert.equal(metricsAnswer.status, 200);
      assert.match(String(metricsAnswer.headers['content-type']), /^text\/plain/);
      const m = parseMetrics(metricsAnswer.text);
      const passes = stack.results.filter((r) => r.ok).length;
      assert.equal(m.get('anycast_guard_service_up{service="web"}'), 1);
      assert.equal(m.get('anycast_guard_service_state{service="web",state="up"}'), 1);
      assert.equal(m.get('anycast_guard_service_state{service="web",state="drained"}'), 0);
      assert.equal(m.get('anycast_guard_check_up{service="web",check="health"}'), 1);
      const successes =
        m.get('anycast_guard_check_results_total{service="web",check="health",result="success"}') ??
        0;
      assert.ok(successes >= passes, `${successes} successes counted, ${passes} seen`);
      // Every run so far was the schedule's (this check has no watch).
      assert.ok(
        (m.get(
          'anycast_guard_check_trigger_total{service="web",check="health",trigger="interval"}',
        ) ?? 0) >= passes,
      );
      assert.equal(
        m.get('anycast_guard_check_trigger_total{service="web",check="health",trigger="watch"}'),
        undefined,
      );
      assert.ok(
        (m.get('anycast_guard_check_duration_seconds_count{service="web",check="health"}') ?? 0) >=
          passes,
      );
      assert.ok((m.get('anycast_guard_check_schedule_lag_seconds_count') ?? 0) >= passes);
      assert.equal(
        m.get('anycast_guard_service_transitions_total{service="web",from="down",to="up"}'),
        1,
      );
      assert.equal(
        m.get(
          'anycast_guard_prefix_announced{prefix="203.0.113.80/32",service="web",announcer="bgp"}',
        ),
        1,
      );
      assert.equal(
        m.get(
          'anycast_guard_prefix_announced{prefix="2001:db8::80/128",service="web",announcer="bgp"}',
        ),
        1,
      );
      assert.equal(
        m.get('anycast_guard_bgp_peer_established{peer="127.0.0.1",address="127.0.0.1"}'),
        1,
      );
      assert.equal(
        m.get(
          'anycast_guard_bgp_peer_state{peer="127.0.0.1",address="127.0.0.1",state="established"}',
        ),
        1,
      );
      assert.equal(
        m.get('anycast_guard_bgp_peer_state{peer="127.0.0.1",address="127.0.0.1",state="idle"}'),
        0,
      );
    } finally {
      await stack.stop();
    }
  });

  it('answers 404, 405, 400, 401 and 403 with JSON errors; the socket needs no token', async () => {
    const stack = await startStack(join(dir, 'errors'));
    try {
      const unknownPath = await call(stack.tcp, 'GET', '/v2/nothing');
      assert.equal(unknownPath.status, 404);
      assert.match((JSON.parse(unknownPath.text) as { error: string }).error, /\/v2\/nothing/);

      const wrongMethod = await call(stack.tcp, 'DELETE', '/v1/status');
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.allow, 'GET');
      assert.equal((await call(stack.tcp, 'GET', '/v1/services/web/drain')).status, 405);

      const drain = '/v1/services/web/drain';
      const body = JSON.stringify({ reason: 'maintenance' });
      const noToken = await call(stack.tcp, 'POST', drain, { body });
      assert.equal(noToken.status, 401);
      assert.match(String(noToken.headers['www-authenticate']), /^Bearer/);
      assert.equal((await call(stack.tcp, 'POST', drain, { body, token: 'wrong' })).status, 401);
      assert.equal(stack.daemon.status().services[0]?.state !== 'drained', true);

      const badJson = await call(stack.tcp, 'POST', drain, { body: '{"reason":', token: TOKEN });
      assert.equal(badJson.status, 400);
      assert.match(badJson.text, /not valid JSON/);
      const badReason = await call(stack.unix, 'POST', drain, { body: '{"reason":5}' });
      assert.equal(badReason.status, 400);

      const unknown = await call(stack.unix, 'POST', '/v1/services/nope/drain', { body });
      assert.equal(unknown.status, 404);
      assert.deepEqual(JSON.parse(unknown.text), {
        error: 'no service named "nope"',
        service: 'nope',
      });

      const ok = await call(stack.tcp, 'POST', drain, { body, token: TOKEN });
      assert.equal(ok.status, 200);
      assert.equal(stack.daemon.status().services[0]?.state, 'drained');
      const undrained = await call(stack.unix, 'POST', '/v1/services/web/undrain');
      assert.equal(undrained.status, 200);
      assert.notEqual(stack.daemon.status().services[0]?.state, 'drained');
    } finally {
      await stack.stop();
    }

    const readOnly = await startStack(join(dir, 'read-only'), { token: false });
    try {
      const denied = await call(readOnly.tcp, 'POST', '/v1/services/web/drain', {
        body: '{}',
        token: TOKEN,
      });
      assert.equal(denied.status, 403);
      assert.match(denied.text, /read-only/);
      assert.equal((await call(readOnly.tcp, 'GET', '/v1/status')).status, 200);
    } finally {
      await readOnly.stop();
    }
  });

  it('a drain withdraws the routes and outlives a restart until undrained', async () => {
    const stateDir = join(dir, 'persist');
    const first = await startStack(stateDir);
    try {
      await eventually(() => routes().length === 2, 'the routes');
      const answer = await call(first.unix, 'POST', '/v1/services/web/drain', {
        body: JSON.stringify({ reason: 'kernel upgrade' }),
      });
      assert.equal(answer.status, 200);
      await eventually(() => routes().length === 0, 'the withdrawal at the collector');
      const onDisk = JSON.parse(await readFile(join(stateDir, 'drained.json'), 'utf8')) as {
        drained: Record<string, { reason: string }>;
      };
      assert.equal(onDisk.drained.web?.reason, 'kernel upgrade');
    } finally {
      await first.stop();
    }

    const second = await startStack(stateDir);
    try {
      await eventually(
        () => second.daemon.status().peers[0]?.state === 'established',
        'the session after the restart',
      );
      const passesBefore = second.results.filter((r) => r.ok).length;
      await eventually(
        () => second.results.filter((r) => r.ok).length >= passesBefore + 3,
        'three passing checks while established',
      );
      assert.ok(
        second.results.every((r) => r.routes === 0),
        'never announced after the restart',
      );
      assert.deepEqual(routes(), []);
      const status = JSON.parse((await call(second.tcp, 'GET', '/v1/status')).text) as StatusView;
      assert.equal(status.services[0]?.state, 'drained');
      assert.equal(status.services[0]?.drained?.reason, 'kernel upgrade');
      assert.equal(status.services[0]?.prefixes[0]?.announced, false);
      const m = parseMetrics((await call(second.tcp, 'GET', '/metrics')).text);
      assert.equal(m.get('anycast_guard_service_state{service="web",state="drained"}'), 1);
      assert.equal(m.get('anycast_guard_service_up{service="web"}'), 0);
      assert.equal(
        m.get(
          'anycast_guard_prefix_announced{prefix="203.0.113.80/32",service="web",announcer="bgp"}',
        ),
        0,
      );

      const undrain = await call(second.tcp, 'POST', '/v1/services/web/undrain', { token: TOKEN });
      assert.equal(undrain.status, 200);
      await eventually(() => routes().length === 2, 'the routes after the undrain');
      const after = JSON.parse(await readFile(join(stateDir, 'drained.json'), 'utf8')) as {
        drained: Record<string, unknown>;
      };
      assert.deepEqual(after.drained, {});
    } finally {
      await second.stop();
    }
  });

  it('a drain withdraws at once when the state file cannot be written, and says why', async () => {
    const stateDir = join(dir, 'unwritable');
    const stack = await startStack(stateDir);
    try {
      await eventually(() => routes().length === 2, 'the routes');
      // A directory where the state file should be: every write of it fails (root or not).
      await mkdir(join(stateDir, 'drained.json'));
      const answer = await call(stack.unix, 'POST', '/v1/services/web/drain', {
        body: JSON.stringify({ reason: 'emergency' }),
      });
      assert.equal(answer.status, 200, answer.text);
      const body = JSON.parse(answer.text) as {
        persisted: boolean;
        persistError?: { code?: string; message: string };
        service: { state: string };
      };
      assert.equal(body.persisted, false);
      assert.equal(body.persistError?.code, 'EISDIR');
      assert.match(body.persistError?.message ?? '', /a restart will not keep it/);
      assert.equal(body.service.state, 'drained');
      await eventually(() => routes().length === 0, 'the withdrawal at the collector');
      const status = JSON.parse((await call(stack.tcp, 'GET', '/v1/status')).text) as StatusView;
      assert.equal(status.services[0]?.drained?.reason, 'emergency');
      // Undrain works too, with the same warning, and the routes come back.
      const undrain = await call(stack.unix, 'POST', '/v1/services/web/undrain');
      assert.equal(undrain.status, 200, undrain.text);
      assert.equal((JSON.parse(undrain.text) as { persisted: boolean }).persisted, false);
      await eventually(() => routes().length === 2, 'the routes after the undrain');
      // The command says so too, instead of promising the drain survives a restart.
      const drained = await cli(['drain', 'web', '--reason', 'cli', '--socket', stack.socket]);
      assert.equal(drained.code, 0, drained.stderr);
      assert.match(drained.stdout, /^web drained: its prefixes are withdrawn; NOT saved: .*EISDIR/);
      assert.doesNotMatch(drained.stdout, /across restarts/);
    } finally {
      await stack.stop();
    }
  });

  it('the drain store names EROFS and ENOSPC on a read-only or full state_dir', async () => {
    // A private mount namespace: a read-only tmpfs, and a full one, seen only by the child.
    const store = pathToFileURL(join(import.meta.dirname, '../../../src/api/index.js')).href;
    const ro = join(dir, 'ro-state');
    const full = join(dir, 'full-state');
    await mkdir(ro);
    await mkdir(full);
    const script = `
import { DrainStore } from ${JSON.stringify(store)};
const codes = [];
for (const d of process.argv.slice(1)) {
  const s = new DrainStore(d);
  await s.load();
  try { await s.drain('web', 'x'); codes.push('written'); } catch (e) { codes.push(e.systemCode); }
}
process.stdout.write(JSON.stringify(codes));
`;
    const shell = [
      `mount -t tmpfs -o ro,size=64k tmpfs ${ro}`,
      `mount -t tmpfs -o size=4k tmpfs ${full}`,
      `(head -c 1048576 /dev/zero > ${full}/filler 2>/dev/null || true)`,
      `exec ${process.execPath} --input-type=module -e "$0" ${ro} ${full}`,
    ].join(' && ');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'unshare',
        ['-m', '--propagation', 'private', 'sh', '-c', shell, script],
        { timeout: 20_000 },
        (error, stdout, stderr) =>
          error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)),
      );
    });
    assert.deepEqual(JSON.parse(out), ['EROFS', 'ENOSPC']);
  });

  it('refuses a token file group or others may read, naming the file and its mode', async () => {
    const daemon: ApiDaemon = {
      status: () => assert.fail('not asked'),
      drain: () => assert.fail('not asked'),
    };
    const file = join(dir, 'loose-token');
    await writeFile(file, `${TOKEN}\n`);
    const server = (): ApiServer =>
      new ApiServer({
        daemon,
        store: new DrainStore(join(dir, 'token-state')),
        metrics: new Metrics(() => daemon.status()),
        logger: pino({ level: 'silent' }),
        listen: { host: '127.0.0.1', port: 0 },
        socket: false,
        tokenFile: file,
      });
    const start = (): Promise<void> => server().start();
    for (const mode of [0o644, 0o666, 0o640, 0o604]) {
      await chmod(file, mode);
      const shown = `0${mode.toString(8)}`;
      await assert.rejects(start(), (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.ok(error.message.includes(file), error.message);
        assert.ok(error.message.includes(`mode ${shown}`), error.message);
        return true;
      });
    }
    await chmod(file, 0o600);
    const api = server();
    await api.start();
    await api.stop();
  });

  it('the CLI shows status, drains and undrains, and says when the daemon is not running', async () => {
    const stack = await startStack(join(dir, 'cli'));
    try {
      await eventually(() => routes().length === 2, 'the routes');
      await eventually(
        () => stack.daemon.status().peers[0]?.state === 'established',
        'the session',
      );
      const table = await cli(['status', '--socket', stack.socket]);
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split('\n');
      assert.equal(lines[0], 'node test-node');
      for (const line of lines) assert.ok(line.length <= 80, `too wide: ${line}`);
      assert.match(table.stdout, /^SERVICE +STATE +SINCE +ANNOUNCED +REASON$/m);
      assert.match(table.stdout, /^web +up +\d+s +2\/2 +\S/m);
      assert.match(table.stdout, /^ {2}\+203\.0\.113\.80\/32 \+2001:db8::80\/128$/m);
      assert.match(table.stdout, /^127\.0\.0\.1 +127\.0\.0\.1 +established +\d+s +2 sent$/m);

      const json = await cli([
        'status',
        '--json',
        '--url',
        `http://127.0.0.1:${stack.api.tcpAddress?.port}`,
      ]);
      assert.equal(json.code, 0, json.stderr);
      assert.equal((JSON.parse(json.stdout) as StatusView).services[0]?.state, 'up');

      const drained = await cli(['drain', 'web', '--reason', 'cli test', '--socket', stack.socket]);
      assert.equal(drained.code, 0, drained.stderr);
      assert.match(drained.stdout, /^web drained/);
      await eventually(() => routes().length === 0, 'the withdrawal');
      const shown = await cli(['status', '--socket', stack.socket]);
      assert.match(shown.stdout, /^web +drained +\d+s +0\/2 +cli test$/m);

      const unknown = await cli(['undrain', 'nope', '--socket', stack.socket]);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stderr, 'anycast-guard: no service named "nope"\n');

      const url = `http://127.0.0.1:${stack.api.tcpAddress?.port}`;
      const noToken = await cli(['undrain', 'web', '--url', url]);
      assert.equal(noToken.code, 1);
      assert.match(noToken.stderr, /bearer token/);
      const undrained = await cli(['undrain', 'web', '--url', url, '--token-file', tokenFile]);
      assert.equal(undrained.code, 0, undrained.stderr);
      await eventually(() => routes().length === 2, 'the routes again');
    } finally {
      await stack.stop();
    }
    const missing = join(dir, 'cli', 'none.sock');
    const notRunning = await cli(['status', '--socket', missing]);
    assert.equal(notRunning.code, 1);
    assert.equal(notRunning.stderr, `anycast-guard is not running (no socket at ${missing})\n`);
    const stale = await cli(['status', '--socket', join(dir, 'cli', 'run', 'control.sock')]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^anycast-guard is not running/);
  });
});
