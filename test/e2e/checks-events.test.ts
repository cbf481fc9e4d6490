/**
 * Event-driven checks end to end: `anycast-guard run` announces three services to BIRD 2,
 * each checked every 10 s with fall 3, so polling alone would take 20 s and more to
 * withdraw. The HTTP service is SIGKILLed: the held connection (`watch = true`) and the
 * process check (its pidfile) notice at once and, fail_fast, withdraw without waiting
 * for `fall`; a maintenance file touched withdraws the third. Each withdrawal is proved
 * by the check result that caused it (trigger "watch") and BIRD's own removal line;
 * the status API and the metrics show the triggers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireLab } from '../lab/index.js';
import type { JsonRecord } from '../lab/index.js';
import {
  birdRouteEvents,
  daemonConfig,
  isTransition,
  startDaemon,
  waitForLog,
  waitForPaths,
  routerLab,
} from './harness.js';

function api(apiDir: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(apiDir, 'control.sock'), path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

const HELD = '203.0.113.81';
const PROC = '203.0.113.82';
const MAINT = '203.0.113.83';

const isWatchFailure = (service: string) => (r: JsonRecord) =>
  r.event === 'check.result' &&
  r.service === service &&
  r.ok === false &&
  r.trigger === 'watch' &&
  r.failFast === true;

test(
  'a SIGKILLed service and a touched maintenance file withdraw at once, not after fall polls',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, router, control } = await routerLab(t);
    const pidfile = join(lab.dir, 'web.pid');
    writeFileSync(pidfile, `${node.service.pid}\n`);
    const disable = join(lab.dir, 'maint', 'disable');
    const slow = 'rise = 1\nfall = 3\nhold_down = 0';
    const config = `${daemonConfig(node.link, [], node.apiDir)}
[services.held]
prefixes = ["${HELD}"]
checks.http = [{ url = "${node.service.url}", interval = 10, timeout = 2, watch = true }]
${slow}

[services.proc]
prefixes = ["${PROC}"]
checks.process = [{ pidfile = "${pidfile}", interval = 10, timeout = 2 }]
${slow}

[services.maint]
prefixes = ["${MAINT}"]
checks.file = [{ path = "${disable}", interval = 10, timeout = 2, fall = 1 }]
${slow}
`;
    const daemon = await startDaemon(lab, node, config);
    for (const prefix of [HELD, PROC, MAINT])
      await waitForPaths(
        control,
        `${prefix}/32`,
        (p) => p.length === 1,
        `${prefix} announced`,
        30_000,
      );

    // The maintenance file's directory does not exist yet: created with the file.
    const from = daemon.lines.length;
    mkdirSync(join(lab.dir, 'maint'));
    writeFileSync(disable, '');
    const maintDown = await waitForLog(daemon, isTransition('maint', 'down'), 'maint down', {
      from,
    });
    assert.match(String(maintDown.reason), /disable file/);
    await waitForPaths(control, `${MAINT}/32`, (p) => p.length === 0, 'maint withdrawn');

    const killedAt = Date.now();
    assert.ok(node.service.process.signal('SIGKILL'));
    for (const service of ['held', 'proc']) {
      const failure = await waitForLog(daemon, isWatchFailure(service), `${service} fails fast`, {
        from,
      });
      const down = await waitForLog(daemon, isTransition(service, 'down'), `${service} down`, {
        from,
      });
      assert.ok(Number(down.time) >= Number(failure.time));
    }
    for (const prefix of [HELD, PROC])
      await waitForPaths(control, `${prefix}/32`, (p) => p.length === 0, `${prefix} withdrawn`);
    for (const prefix of [HELD, PROC]) {
      const removed = birdRouteEvents(router, node.protocol, 'removed', `${prefix}/32`);
      assert.equal(removed.length, 1, `${prefix}: one removal at BIRD`);
      t.diagnostic(`SIGKILL → BIRD removed ${prefix}/32: ${(removed[0] ?? NaN) - killedAt} ms`);
    }

    const status = JSON.parse(await api(node.apiDir, '/v1/status')) as {
      services: { name: string; checks: { last?: { trigger?: string; failFast?: boolean } }[] }[];
    };
    for (const name of ['held', 'proc']) {
      const last = status.services.find((s) => s.name === name)?.checks[0]?.last;
      assert.equal(last?.trigger, 'watch', name);
      assert.equal(last?.failFast, true, name);
    }
    const metrics = await api(node.apiDir, '/metrics');
    assert.match(
      metrics,
      /anycast_guard_check_trigger_total\{[^}]*service="proc"[^}]*trigger="watch"\} [1-9]/,
    );
    assert.match(
      metrics,
      /anycast_guard_check_trigger_total\{[^}]*service="proc"[^}]*trigger="interval"\} [1-9]/,
    );
  },
);
