/**
 * SIGKILL crash safety: `anycast-guard run` announces a prefix to BIRD 2 (harness.ts), then
 * is killed with SIGKILL — no handler runs, nothing is withdrawn by us. The kernel closes
 * the dead process's TCP socket (FIN, or RST with unread data), BIRD sees the session go
 * and removes every route it learned over it. No route outlives the daemon.
 *
 * The time from the kill to BIRD's own `removed` log line is reported as a diagnostic,
 * not asserted (docs/operations.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireLab, waitFor } from '../lab/index.js';
import {
  birdRouteEvents,
  daemonConfig,
  startDaemon,
  waitForLog,
  waitForPaths,
  routerLab,
} from './harness.js';

const WEB = '203.0.113.80';
const WEB_PREFIX = '203.0.113.80/32';

test(
  'SIGKILL: the dead daemon’s session drops and BIRD removes the route',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, router, control } = await routerLab(t);

    const daemon = await startDaemon(
      lab,
      node,
      daemonConfig(
        node.link,
        [
          {
            name: 'web',
            prefixes: [WEB],
            url: node.service.url,
            interval: 0.5,
            rise: 1,
            fall: 1,
            holdDown: 0,
          },
        ],
        node.apiDir,
      ),
    );
    await waitForLog(
      daemon,
      (r) => r.event === 'route.announced' && r.prefix === WEB_PREFIX,
      'announced',
    );
    await waitForPaths(control, WEB_PREFIX, (p) => p.join(',') === node.protocol, 'announced');
    assert.equal(birdRouteEvents(router, node.protocol, 'removed', WEB_PREFIX).length, 0);

    const killedAt = Date.now();
    assert.ok(daemon.signal('SIGKILL'));
    const exit = await daemon.waitForExit(5_000);
    assert.equal(exit.signal, 'SIGKILL');

    await waitForPaths(control, WEB_PREFIX, (p) => p.length === 0, 'gone after SIGKILL', 10_000);
    const peer = await router.peer(node.protocol);
    assert.notEqual(peer.state, 'established');
    // BIRD's own record of the removal (its log is flushed as it writes).
    const removed = await waitFor(
      () => birdRouteEvents(router, node.protocol, 'removed', WEB_PREFIX),
      { what: 'BIRD logs the removal', until: (events) => events.length > 0, timeoutMs: 5_000 },
    );
    const removedAt = removed[0] ?? Number.NaN;
    assert.ok(removedAt >= killedAt - 5, `removed at ${removedAt}, killed at ${killedAt}`);
    t.diagnostic(
      `SIGKILL → BIRD removed ${WEB_PREFIX}: ${removedAt - killedAt} ms (session: ${peer.state}, ${peer.lastError ?? 'no error'})`,
    );
  },
);
