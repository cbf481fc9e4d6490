/**
 * The BIRD announcer end to end: `anycast-guard run` (the compiled CLI) in a node
 * namespace drives the node's own BIRD 2 (examples/bird.conf, bird-lab.ts), which peers
 * with a BIRD router. What is checked is what the router learns: a service going down
 * removes its routes there and coming back restores them; BIRD refusing the new file
 * shows in /v1/status and is retried until BIRD takes it; a route a SIGKILLed
 * anycast-guard left in BIRD is withdrawn when the next one starts.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { requireLab, waitFor } from '../../lab/index.js';
import type { BirdRouter, LabProcess } from '../../lab/index.js';
import { startDaemon, waitForLog } from '../harness.js';
import { birdNodeLab, birdStatus, type BirdStatus } from './bird-lab.js';

const WEB4 = '203.0.113.80/32';
const WEB6 = '2001:db8::80/128';
/** Announced through BIRD but never bound: BIRD has no route for it. */
const UNBOUND = '198.51.100.7/32';

async function routerHas(router: BirdRouter, prefix: string, want: boolean, what: string) {
  await waitFor(async () => (await router.route(prefix)) !== undefined, {
    what: `router ${want ? 'has' : 'lacks'} ${prefix}: ${what}`,
    until: (has) => has === want,
    timeoutMs: 20_000,
    intervalMs: 20,
  });
}

function waitForBird(
  apiDir: string,
  until: (status: BirdStatus) => boolean,
  what: string,
): Promise<BirdStatus | undefined> {
  return waitFor(() => birdStatus(apiDir), {
    what: `bird announcer status: ${what}`,
    until: (s) => s !== undefined && until(s),
    timeoutMs: 20_000,
  });
}

test(
  'BIRD on the node: withdraw and restore, BIRD rejecting the file, a SIGKILLed run’s route',
  { timeout: 150_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, router, nodeBird, ipv4File, ipv6File } = await birdNodeLab(t);

    const config = `[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"

[announcers.bird]
ipv4_file = "${ipv4File}"
ipv6_file = "${ipv6File}"
socket = "${nodeBird.ctlPath}"

[services.web]
prefixes.bird = ["${WEB4}", "${WEB6}", "${UNBOUND}"]
addresses = ["203.0.113.80", "2001:db8::80"]
checks.http = [{ url = "${node.service.url}", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
`;
    const start = (name: string): Promise<LabProcess> => startDaemon(lab, node, config, name);

    let daemon = await start('daemon');
    await routerHas(router, WEB4, true, 'service healthy');
    await routerHas(router, WEB6, true, 'service healthy');
    let status = await waitForBird(node.apiDir, (s) => s.state === 'in-sync', 'in sync');
    assert.equal(status?.detail?.answer, 'Reconfigured');
    assert.equal(status?.detail?.routesMissing, UNBOUND, 'no address, no route in BIRD');
    assert.equal(await router.route(UNBOUND), undefined);
    assert.match(
      readFileSync(ipv4File, 'utf8'),
      /10\.189\.200\.255\/32,\n {8}198\.51\.100\.7\/32,\n {8}203\.0\.113\.80\/32\n/,
    );

    // Down, then up again.
    await node.service.break('refuse');
    await routerHas(router, WEB4, false, 'service down');
    await routerHas(router, WEB6, false, 'service down');
    await node.service.mend();
    await routerHas(router, WEB4, true, 'service up again');
    await routerHas(router, WEB6, true, 'service up again');

    // BIRD refuses its configuration (a typo in bird.conf): the error is in status, BIRD
    // goes on exporting what it had, and the change is retried until BIRD takes it.
    const good = readFileSync(nodeBird.confPath, 'utf8');
    writeFileSync(
      nodeBird.confPath,
      good.replace('net ~ ACAST_PS_ADVERTISE;', 'net ~ ACAST_PS_ADVERTISE_TYPO;'),
    );
    await node.service.break('refuse');
    status = await waitForBird(
      node.apiDir,
      (s) => s.state === 'failing' && s.failures >= 2,
      'failing, retried',
    );
    assert.equal(status?.lastError?.code, 'ANNOUNCER_REJECTED');
    assert.match(status?.lastError?.message ?? '', /syntax error, unexpected CF_SYM_UNDEFINED/);
    assert.match(String(status?.detail?.answer), /bird\.conf:\d+:\d+ syntax error/);
    assert.ok(await router.route(WEB4), 'BIRD still exports its previous set');
    writeFileSync(nodeBird.confPath, good);
    await waitForBird(node.apiDir, (s) => s.state === 'in-sync', 'in sync after the fix');
    await routerHas(router, WEB4, false, 'withdrawn once BIRD took the file');
    await routerHas(router, WEB6, false, 'withdrawn once BIRD took the file');

    // SIGKILL: nothing runs, BIRD keeps exporting what the file says.
    await node.service.mend();
    await routerHas(router, WEB4, true, 'up before the kill');
    assert.ok(daemon.signal('SIGKILL'));
    assert.equal((await daemon.waitForExit(5_000)).signal, 'SIGKILL');
    await node.service.break('refuse');
    assert.ok(await router.route(WEB4), 'the killed run’s route stays in BIRD');

    // The next run withdraws it at its first sync, before any check has run twice.
    const from = 0;
    daemon = await start('daemon2');
    await routerHas(router, WEB4, false, 'stale route withdrawn at the next start');
    await routerHas(router, WEB6, false, 'stale route withdrawn at the next start');
    assert.doesNotMatch(readFileSync(ipv4File, 'utf8'), /203\.0\.113\.80/);
    await waitForLog(daemon, (r) => r.msg === 'BIRD reconfigured', 'reconfigured', { from });

    // SIGTERM: withdraws all and exits 0.
    await node.service.mend();
    await routerHas(router, WEB4, true, 'up under the second run');
    assert.ok(daemon.signal('SIGTERM'));
    assert.equal((await daemon.waitForExit(15_000)).code, 0);
    await routerHas(router, WEB4, false, 'withdrawn at SIGTERM');
    assert.match(readFileSync(ipv6File, 'utf8'), /\[\n {8}2001:db8::1\/128\n {4}\];/);
  },
);
