/**
 * Issue 16 through the routing daemons that carry attributes, heard by a BIRD router:
 * GoBGP (gobgpd in the node namespace, gobgp-lab.ts) and ExaBGP (which runs
 * anycast-guard, exabgp-lab.ts). For each: a service's `up` attributes reach the router;
 * `drain --graceful` re-announces with (65535, 0) in their place; an undrain during the
 * wait puts the route back as it was; one left to run is withdrawn at its end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireLab, waitFor, type BirdRouter, type LabRoute } from '../../lab/index.js';
import { CLI, startDaemon, type Node } from '../harness.js';
import { gobgpLab, waitAtRouter } from './gobgp-lab.js';
import { exabgpLab } from './exabgp-lab.js';

const V4 = '203.0.113.80/32';
const GSHUT = '65535:0';

function cli(socket: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--socket', socket],
      { timeout: 60_000 },
      (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(stderr))),
    );
  });
}

function routeAt(
  router: BirdRouter,
  until: (r: LabRoute | undefined) => boolean,
  what: string,
): Promise<LabRoute | undefined> {
  return waitFor(() => router.route(V4), {
    what: `${V4} at the router: ${what}`,
    until,
    timeoutMs: 30_000,
    intervalMs: 20,
  });
}

function service(kind: string, node: Node): string {
  return `
[services.web]
prefixes.${kind} = ["203.0.113.80"]
checks.http = [{ url = "${node.service.url}", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
up = { med = 10, communities = ["65001:100"], large_communities = ["65001:1:2"] }
`;
}

const api = (node: Node) => `[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"
`;

/** The same steps for each announcer, once the route is at the router. */
async function drainSteps(
  router: BirdRouter,
  socket: string,
  control: Parameters<typeof waitAtRouter>[0],
) {
  const before = await routeAt(router, (r) => r?.med === 10, 'with the up attributes');
  assert.deepEqual(before?.communities, ['65001:100']);
  assert.deepEqual(before?.largeCommunities, ['65001:1:2']);

  await cli(socket, ['drain', 'web', '--reason', 'test', '--graceful', '--wait', '600']);
  const marked = await routeAt(router, (r) => r?.communities.includes(GSHUT) === true, 'marked');
  assert.deepEqual(marked?.communities, [GSHUT], 'the up attributes are not kept while draining');
  assert.equal(marked?.med, undefined);
  await cli(socket, ['undrain', 'web']);
  const back = await routeAt(router, (r) => r?.med === 10, 'unmarked');
  assert.deepEqual(back, before, 'the route exactly as before');

  await cli(socket, [
    'drain',
    'web',
    '--reason',
    'test',
    '--graceful',
    '--wait',
    '1',
    '--wait-until-withdrawn',
  ]);
  await waitAtRouter(control, V4, false);
}

test(
  'GoBGP announcer: up attributes, graceful drain and undrain at a BIRD router',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'gobgp']))) return;
    const { lab, node, gobgpd, router, control } = await gobgpLab(t);
    await startDaemon(
      lab,
      node,
      `${api(node)}
[announcers.gobgp]
api = "127.0.0.1:${gobgpd.apiPort}"
${service('gobgp', node)}`,
    );
    await waitAtRouter(control, V4, true);
    await drainSteps(router, join(node.apiDir, 'control.sock'), control);
  },
);

test(
  'ExaBGP announcer: up attributes, graceful drain and undrain at a BIRD router',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'exabgp']))) return;
    const { node, router, control } = await exabgpLab(t, (n) => `${api(n)}${service('exabgp', n)}`);
    await waitAtRouter(control, V4, true);
    await drainSteps(router, join(node.apiDir, 'control.sock'), control);
  },
);
