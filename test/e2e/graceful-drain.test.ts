/**
 * Issue 16 against real routers, `anycast-guard run` (the compiled CLI) in a node namespace:
 *
 * 1. A BIRD 2 router: `drain --graceful --wait 3` re-announces the route with (65535, 0)
 *    (RFC 8326), then withdraws it once the wait is over; an undrain during the wait puts
 *    the route back exactly as it was. With `[daemon] stop_grace`, SIGTERM marks it too,
 *    and a second SIGTERM withdraws and exits 0.
 * 2. A service's `up = { … }` attributes arrive at BIRD 2, FRRouting and GoBGP routers
 *    (one eBGP session each from the embedded speaker) as configured, merged with the
 *    peer's own community; `local_pref` at an iBGP GoBGP neighbour.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Lab, requireLab, waitFor, type LabRoute, type Router } from '../lab/index.js';
import { NODE_AS, ROUTER_AS, startRouter } from '../interop/harness.js';
import {
  CLI,
  daemonConfig,
  isTransition,
  records,
  routerLab,
  startDaemon,
  time,
  waitForLog,
  waitForPaths,
} from './harness.js';

const PREFIX = '203.0.113.90/32';
const PREF = '203.0.113.91/32';
const GSHUT = '65535:0';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

function routeAt(
  router: Router,
  prefix: string,
  until: (r: LabRoute | undefined) => boolean,
  what: string,
) {
  return waitFor(() => router.route(prefix), {
    what: `${prefix} at the ${router.kind} router: ${what}`,
    until,
    timeoutMs: 30_000,
    intervalMs: 20,
  });
}

test(
  'graceful drain at a BIRD router: (65535, 0) for the wait, then withdrawn; undrain during the wait restores the route',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, router, control } = await routerLab(t);
    const config = daemonConfig(
      node.link,
      [
        {
          name: 'dns',
          prefixes: [PREFIX],
          url: node.service.url,
          interval: 0.2,
          rise: 1,
          fall: 1,
          holdDown: 0,
          extra: 'up = { med = 10, communities = ["65001:100"] }',
        },
      ],
      node.apiDir,
    ).replace('[bgp]', '[daemon]\nstop_grace = 600\n\n[bgp]');
    const daemon = await startDaemon(lab, node, config);
    const socket = join(node.apiDir, 'control.sock');
    await waitForPaths(control, PREFIX, (p) => p.includes(node.protocol), 'announced');
    const before = await routeAt(router, PREFIX, (r) => r !== undefined, 'announced');
    assert.deepEqual(before?.communities, ['65001:100']);
    assert.equal(before?.med, 10);

    // Undrain during the wait: back to the route as it was.
    const long = await cli([
      'drain',
      'dns',
      '--socket',
      socket,
      '--reason',
      'test',
      '--graceful',
      '--wait',
      '600',
    ]);
    assert.equal(long.code, 0, long.stderr);
    const marked = await routeAt(
      router,
      PREFIX,
      (r) => r?.communities.includes(GSHUT) === true,
      'marked',
    );
    assert.equal(
      marked?.med,
      undefined,
      'no down attributes, and never the up ones, while draining',
    );
    const undrain = await cli(['undrain', 'dns', '--socket', socket]);
    assert.equal(undrain.code, 0, undrain.stderr);
    const back = await routeAt(
      router,
      PREFIX,
      (r) => r?.communities.includes(GSHUT) === false,
      'unmarked',
    );
    assert.deepEqual(back, before, 'the route exactly as before the drain');

    // A graceful drain left to run: marked, then withdrawn when the wait is over.
    const from = daemon.lines.length;
    const drain = await cli([
      'drain',
      'dns',
      '--socket',
      socket,
      '--reason',
      'maintenance',
      '--graceful',
      '--wait',
      '3',
      '--wait-until-withdrawn',
    ]);
    assert.equal(drain.code, 0, drain.stderr);
    assert.match(drain.stdout, /dns withdrawn\n$/);
    // The command returned once the withdrawal went out: BIRD has no path from the node.
    await waitForPaths(control, PREFIX, (p) => !p.includes(node.protocol), 'withdrawn');
    const logged = records(daemon, from);
    const draining = logged.find(isTransition('dns', 'draining'));
    const drained = logged.find(isTransition('dns', 'drained'));
    assert.ok(draining && drained, 'draining, then drained');
    const announced = logged.find((r) => r.event === 'route.announced' && r.draining === true);
    assert.deepEqual(
      (announced?.attributes as { communities?: string[] } | undefined)?.communities,
      [GSHUT],
    );
    const withdrawn = logged.find((r) => r.event === 'route.withdrawn' && r.prefix === PREFIX);
    assert.ok(withdrawn && time(withdrawn) >= time(drained), 'withdrawn when the drain ended');
    // The deadline the API gave: the drain ended there, not before.
    const order = logged.find((r) => r.event === 'service.drained' && r.service === 'dns');
    assert.equal(typeof order?.until, 'number');
    assert.ok(time(drained) >= (order?.until as number), 'drained at the end of the wait');

    // [daemon] stop_grace: SIGTERM marks the route first; a second SIGTERM withdraws now.
    assert.equal((await cli(['undrain', 'dns', '--socket', socket])).code, 0);
    await routeAt(router, PREFIX, (r) => r?.med === 10, 'announced again');
    assert.ok(daemon.signal('SIGTERM'));
    await routeAt(router, PREFIX, (r) => r?.communities.includes(GSHUT) === true, 'marked on stop');
    await waitForLog(daemon, (r) => r.event === 'daemon.stop_grace', 'the graceful wait');
    assert.ok(daemon.signal('SIGTERM'));
    assert.equal((await daemon.waitForExit(15_000)).code, 0, daemon.tail());
    await waitForPaths(control, PREFIX, (p) => !p.includes(node.protocol), 'withdrawn on stop');
  },
);

test(
  'up attributes arrive at BIRD, FRRouting and GoBGP routers as configured',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'frr', 'gobgp']))) return;
    const lab = await Lab.create();
    t.after(() => lab.teardown());
    const nodeNs = await lab.namespace('node');
    const routers: Router[] = [];
    const links = [];
    for (const kind of ['bird', 'frr', 'gobgp'] as const) {
      const link = await lab.link(nodeNs, await lab.namespace(kind));
      links.push(link);
      routers.push(await startRouter(lab, kind, link, { asn: ROUTER_AS }));
    }
    // An iBGP neighbour (GoBGP in our AS): the only kind LOCAL_PREF is sent to.
    const ibgpLink = await lab.link(nodeNs, await lab.namespace('ibgp'));
    const ibgp = await startRouter(lab, 'gobgp', ibgpLink, { asn: NODE_AS });
    const apiDir = join(lab.dir, 'api');
    const peers = links
      .map(
        (link) => `[[bgp.peers]]
address = "${link.b.ipv4}"
asn = ${ROUTER_AS}
local_address = "${link.a.ipv4}"
connect_retry = 1
communities = ["65001:7"]
`,
      )
      .join('');
    const ibgpPeer = `[[bgp.peers]]
address = "${ibgpLink.b.ipv4}"
asn = ${NODE_AS}
local_address = "${ibgpLink.a.ipv4}"
connect_retry = 1
`;
    const configPath = join(lab.dir, 'node.toml');
    writeFileSync(
      configPath,
      `[api]
listen = false
socket = "${apiDir}/control.sock"
state_dir = "${apiDir}"

[bgp]
asn = ${NODE_AS}
router_id = "${links[0]!.a.ipv4}"
${peers}${ibgpPeer}
[services.web]
prefixes = ["${PREFIX}"]
announce = "always"
up = { med = 10, prepend = 1, communities = ["65001:100"], large_communities = ["65001:1:2"] }

[services.pref]
prefixes = ["${PREF}"]
announce = "always"
up = { local_pref = 200, med = 20 }
`,
    );
    await lab.spawn(nodeNs, {
      name: 'daemon',
      argv: [process.execPath, '--enable-source-maps', CLI, 'run', '--config', configPath],
    });
    for (const router of routers) {
      const route = await routeAt(router, PREFIX, (r) => r !== undefined, 'announced');
      assert.equal(route?.med, 10, router.kind);
      assert.deepEqual(route?.communities, ['65001:7', '65001:100'], router.kind);
      assert.deepEqual(route?.largeCommunities, ['65001:1:2'], router.kind);
      assert.deepEqual(route?.asPath, [NODE_AS, NODE_AS], `${router.kind}: prepend 1`);
    }
    const pref = await routeAt(ibgp, PREF, (r) => r !== undefined, 'announced over iBGP');
    assert.equal(pref?.localPref, 200, 'the service’s LOCAL_PREF wins over the default 100');
    assert.equal(pref?.med, 20);
  },
);
