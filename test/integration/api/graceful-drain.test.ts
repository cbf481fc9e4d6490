/**
 * Graceful drain (RFC 8326), per-service `up` attributes and the first-up rule of a degraded
 * `down`, through a real Daemon and API announcing to our BGP collector on loopback; and
 * `anycast-guard drain --graceful --wait-until-withdrawn` as the CLI process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  ApiServer,
  DrainStore,
  Metrics,
  type ApiDaemon,
  type StatusView,
} from '../../../src/api/index.js';
import type { BgpSpeaker, ReceivedRoute } from '../../../src/bgp/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { Daemon, type DaemonStatus } from '../../../src/daemon/index.js';
import { eventually } from '../../helpers/raw-peer.js';
import { ToggleService, bgpSection, startCollector } from '../../helpers/loopback.js';

const main = join(import.meta.dirname, '../../../src/cli/main.js');
const V4 = '203.0.113.80/32';
/** 65535:0 as the collector names it (RFC 8326). */
const GSHUT = 'graceful-shutdown';

function post(
  socketPath: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function get(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'GET', path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end();
  });
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

describe('graceful drain over loopback', () => {
  const web = new ToggleService();
  let collector: BgpSpeaker;
  let dir = '';

  before(async () => {
    await web.start();
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-graceful-'));
    collector = await startCollector();
  });

  after(async () => {
    await collector.stop();
    await web.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const route = (prefix = V4): ReceivedRoute | undefined =>
    collector.receivedRoutes().find((r) => r.prefix === prefix);

  async function startStack(name: string, service: string) {
    const stateDir = join(dir, name);
    const config = parseConfig(
      `${bgpSection(collector)}communities = ["65001:7"]\n${service}`,
      'graceful-test.toml',
    );
    const store = new DrainStore(stateDir);
    await store.load();
    const daemon = new Daemon(config, {
      logger: pino({ level: 'silent' }),
      drained: store.orders(),
    });
    await daemon.start();
    const socket = join(stateDir, 'control.sock');
    const api = new ApiServer({
      daemon,
      store,
      metrics: new Metrics(() => daemon.status()),
      logger: pino({ level: 'silent' }),
      listen: false,
      socket,
      node: 'test-node',
    });
    await api.start();
    return {
      daemon,
      socket,
      stateDir,
      async stop() {
        await api.stop();
        await daemon.stop('test over');
        await eventually(() => collector.receivedRoutes().length === 0, 'every route withdrawn');
      },
    };
  }

  const WEB = (extra = '') => `
[services.web]
prefixes = ["203.0.113.80"]
checks.http = [{ name = "health", url = "http://127.0.0.1:${web.port}/", interval = 0.05, timeout = 0.05 }]
rise = 1
fall = 1
hold_down = 0
${extra}`;

  it('up attributes arrive merged with the peer’s; a graceful drain adds 65535:0 and the down attributes, then withdraws', async () => {
    web.healthy = true;
    const stack = await startStack(
      'drain',
      WEB(`up = { med = 10, prepend = 1, communities = ["65001:100"], large_communities = ["65001:1:2"] }
down = { med = 1000, communities = ["65001:666"] }`),
    );
    try {
      const up = await eventually(() => route(), 'the route');
      assert.equal(up.med, 10);
      assert.deepEqual(up.communities, ['65001:7', '65001:100'], 'the peer’s and the service’s');
      assert.deepEqual(up.largeCommunities, ['65001:1:2']);
      assert.deepEqual(up.asPath, [65001, 65001], 'prepend 1');

      const answer = await post(stack.socket, '/v1/services/web/drain', {
        reason: 'upgrade',
        graceful: true,
        wait: 4,
      });
      assert.equal(answer.status, 200);
      const service = answer.body.service as StatusView['services'][number];
      assert.equal(service.state, 'draining');
      assert.ok(service.drainingUntil !== undefined && service.drainingUntil > Date.now());
      assert.equal(service.drained?.until, service.drainingUntil);
      const onDisk = JSON.parse(await readFile(join(stack.stateDir, 'drained.json'), 'utf8')) as {
        drained: Record<string, { reason: string; until?: number }>;
      };
      assert.equal(onDisk.drained.web?.until, service.drainingUntil, 'the deadline is kept');

      const marked = await eventually(
        () => route()?.communities.includes(GSHUT) && route(),
        'GRACEFUL_SHUTDOWN at the router',
      );
      assert.equal(marked.med, 1000, 'the down attributes, not the up ones');
      assert.deepEqual(marked.communities, ['65001:7', '65001:666', GSHUT]);
      assert.deepEqual(marked.largeCommunities, []);
      const metrics = await get(stack.socket, '/metrics');
      assert.match(metrics, /^anycast_guard_service_state\{service="web",state="draining"\} 1$/m);
      const left = /^anycast_guard_service_drain_remaining_seconds\{service="web"\} (\S+)$/m.exec(
        metrics,
      );
      assert.ok(left && Number(left[1]) > 0 && Number(left[1]) <= 4, metrics);
      // The withdrawal at the deadline, and the state that says so.
      await eventually(() => route() === undefined, 'the withdrawal after the wait', 10_000);
      assert.equal(stack.daemon.status().services[0]?.state, 'drained');
    } finally {
      await stack.stop();
    }
  });

  it('undrain during the wait restores the route unchanged', async () => {
    web.healthy = true;
    const stack = await startStack('undrain', WEB('up = { med = 10 }'));
    try {
      const before = await eventually(() => route(), 'the route');
      const answer = await post(stack.socket, '/v1/services/web/drain', {
        reason: 'maybe',
        graceful: true,
        wait: 600,
      });
      assert.equal(answer.status, 200);
      await eventually(() => route()?.communities.includes(GSHUT), 'GRACEFUL_SHUTDOWN');
      assert.equal(route()?.med, undefined, 'no down attributes: only the community');
      assert.equal((await post(stack.socket, '/v1/services/web/undrain')).status, 200);
      const back = await eventually(
        () => (route()?.communities.includes(GSHUT) === false ? route() : undefined),
        'the community gone',
      );
      assert.deepEqual(back, before);
      assert.equal(stack.daemon.status().services[0]?.state, 'up');
    } finally {
      await stack.stop();
    }
  });

  it('a restart within the wait keeps draining until the deadline', async () => {
    web.healthy = true;
    const first = await startStack('restart', WEB());
    await eventually(() => route(), 'the route');
    await post(first.socket, '/v1/services/web/drain', { reason: 'r', graceful: true, wait: 600 });
    const until = first.daemon.drainOf('web')?.until;
    await first.stop();
    const second = await startStack('restart', WEB());
    try {
      await eventually(() => route()?.communities.includes(GSHUT), 'GRACEFUL_SHUTDOWN again');
      const service = second.daemon.status().services[0];
      assert.equal(service?.state, 'draining');
      assert.equal(service.drainingUntil, until);
    } finally {
      await second.stop();
    }
  });

  it('`drain --graceful --wait-until-withdrawn` returns once the route is gone', async () => {
    web.healthy = true;
    const stack = await startStack('cli', WEB());
    try {
      await eventually(() => route(), 'the route');
      const result = await cli([
        'drain',
        'web',
        '--socket',
        stack.socket,
        '--reason',
        'deploy',
        '--graceful',
        '--wait',
        '1',
        '--wait-until-withdrawn',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^web draining: .*\nweb withdrawn\n$/);
      assert.equal(route(), undefined, 'gone at the router when the command returned');
      const wrong = await cli([
        'drain',
        'web',
        '--socket',
        stack.socket,
        '--reason',
        'x',
        '--wait',
        '3',
      ]);
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, /--wait is for a graceful drain/);
    } finally {
      await stack.stop();
    }
  });

  it('a graceful drain of a withdrawn service drains it at once, and it stays out when healthy', async () => {
    web.healthy = false;
    const stack = await startStack('withdrawn', WEB());
    try {
      const answer = await post(stack.socket, '/v1/services/web/drain', {
        reason: 'r',
        graceful: true,
        wait: 600,
      });
      const service = answer.body.service as StatusView['services'][number];
      assert.equal(service.state, 'drained');
      assert.equal(service.drainingUntil, undefined);
      assert.equal(service.drained?.until, undefined, 'nothing graceful kept on disk');
      web.healthy = true;
      const seen = stack.daemon.status().services[0]?.checks[0]?.last?.at ?? 0;
      await eventually(
        () =>
          stack.daemon.status().services[0]?.checks[0]?.last?.ok === true &&
          (stack.daemon.status().services[0]?.checks[0]?.last?.at ?? 0) > seen,
        'a passing result',
      );
      assert.equal(stack.daemon.status().services[0]?.state, 'drained');
      assert.equal(route(), undefined);
    } finally {
      await stack.stop();
    }
  });

  it('a degraded down is not announced before the checks have passed once', async () => {
    web.healthy = false;
    const stack = await startStack('first-up', WEB('down = { med = 1000 }'));
    try {
      await eventually(
        () => stack.daemon.status().peers[0]?.state === 'established',
        'the session',
      );
      // Several failing results while established: still nothing announced.
      const seen = stack.daemon.status().services[0]?.checks[0]?.last?.at ?? 0;
      await eventually(
        () => (stack.daemon.status().services[0]?.checks[0]?.last?.at ?? 0) > seen + 200,
        'failing results',
      );
      assert.equal(route(), undefined, 'never proven healthy: not announced, not even degraded');
      web.healthy = true;
      await eventually(() => route()?.med === undefined && route(), 'announced once healthy');
      web.healthy = false;
      await eventually(() => route()?.med === 1000, 'degraded after it had been up');
    } finally {
      await stack.stop();
    }
  });
});

describe('the drain API refuses what it cannot do gracefully', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-graceful-refuse-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a service announced through BIRD: 409; a wait without graceful: 400; nothing drained', async () => {
    const drains: unknown[] = [];
    const status: DaemonStatus = {
      services: [
        {
          name: 'dns',
          state: 'up',
          since: 0,
          reason: 'ok',
          checks: [],
          everUp: true,
          prefixes: [{ announcer: 'bird', prefix: '203.0.113.53/32' }],
        },
      ],
      routes: [],
      peers: [],
      addresses: [],
      announcers: [],
    };
    const daemon: ApiDaemon = {
      status: () => status,
      drain: (...args) => {
        drains.push(args);
        return undefined;
      },
    };
    const store = new DrainStore(dir);
    await store.load();
    const socket = join(dir, 'control.sock');
    const api = new ApiServer({
      daemon,
      store,
      metrics: new Metrics(() => status),
      logger: pino({ level: 'silent' }),
      listen: false,
      socket,
      node: 'test-node',
    });
    await api.start();
    try {
      const refused = await post(socket, '/v1/services/dns/drain', { graceful: true, wait: 5 });
      assert.equal(refused.status, 409);
      assert.match(String(refused.body.error), /prefixes\.bird cannot carry/);
      const noGrace = await post(socket, '/v1/services/dns/drain', { wait: 5 });
      assert.equal(noGrace.status, 400);
      const badWait = await post(socket, '/v1/services/dns/drain', { graceful: true, wait: 0 });
      assert.equal(badWait.status, 400);
      assert.deepEqual(drains, []);
      assert.equal(store.get('dns'), undefined);
    } finally {
      await api.stop();
    }
  });
});
