/**
 * BFD through the real daemon (`anycast-guard run`): the `bfd` key of the config file
 * brings a BFD session Up with BIRD, and a SIGHUP reload that changes only `bfd` changes
 * the running session (BIRD's detection time follows) without the BGP session going
 * down or the route leaving the router.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Lab, requireLab, waitFor } from '../lab/index.js';
import { birdBfd, birdBfdConf } from '../interop/bfd-harness.js';
import { daemonConfig, makeNode, records, startDaemon, waitForLog } from './harness.js';

const WEB = '203.0.113.82';

test('the daemon runs BFD from its config, and a reload changes it without dropping BGP', async (t) => {
  if (!(await requireLab(t, ['bird']))) return;
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const routerNs = await lab.namespace('router');
  const node = await makeNode(lab, 1, routerNs);
  const router = await lab.startBird(routerNs, birdBfdConf(node.link, 100, 3, node.protocol));
  const config = (bfd: string): string =>
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
    ).replace('connect_retry = 1\n', `connect_retry = 1\nbfd = ${bfd}\n`);
  const daemon = await startDaemon(lab, node, config('{ min_rx = 0.1, min_tx = 0.1 }'));
  const me = node.link.a.ipv4;

  await waitFor(() => birdBfd(router, me), {
    what: 'BIRD BFD Up, detecting in 3 x 100 ms',
    until: (s) => s?.state === 'Up' && s.timeoutMs === 300,
  });
  await waitFor(() => router.route(`${WEB}/32`), { what: 'route at BIRD' });

  const mark = daemon.lines.length;
  writeFileSync(node.configPath, config('{ min_rx = 0.2, min_tx = 0.1, multiplier = 5 }'));
  assert.ok(daemon.signal('SIGHUP'));
  await waitForLog(daemon, (r) => r.event === 'config.reloaded', 'reloaded', { from: mark });
  await waitFor(() => birdBfd(router, me), {
    what: 'BIRD detects in 5 x 100 ms and sends at our new 200 ms',
    until: (s) => s?.state === 'Up' && s.timeoutMs === 500 && s.intervalMs === 200,
  });
  const after = records(daemon, mark).map((r) => r.event);
  assert.ok(!after.includes('bgp.session_down'), after.join(' '));
  assert.ok(!after.includes('bgp.peer_removed'), after.join(' '));
  assert.equal((await router.peer(node.protocol)).state, 'established');
  assert.ok(await router.route(`${WEB}/32`));
});
