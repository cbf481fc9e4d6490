/**
 * The BIRD announcer end to end: `anycast-guard run` (the compiled CLI) in a node
 * namespace drives the node's own BIRD 2 (examples/bird.conf, bird-lab.ts), which peers
 * with a BIRD router. What is checked is what the router learns: a service going down
 * removes its routes there and coming back restores them; BIRD refusing the new file
 * shows in /v1/status and is retried until BIRD takes it; a route a SIGKILLed
 * anycast-guard left in BIRD is withdrawn when the next one starts. Then BIRD 1.x's
 * layout (a daemon per family, emulated with two BIRD 2), and an anycast-healthchecker
 * configuration converted by `anycast-guard import` running against the node's BIRD.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireLab, waitFor } from '../../lab/index.js';
import type { BirdRouter, LabProcess } from '../../lab/index.js';
import { CLI, startDaemon, waitForLog } from '../harness.js';
import {
  birdNodeLab,
  birdStatus,
  reconfigurations,
  twoBirdLab,
  type BirdStatus,
} from './bird-lab.js';

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
    const broke = await node.service.break('refuse');
    await routerHas(router, WEB4, false, 'service down');
    const gone = Date.now();
    await routerHas(router, WEB6, false, 'service down');
    const mended = await node.service.mend();
    await routerHas(router, WEB4, true, 'service up again');
    // Diagnostics, not assertions: checks every 200 ms, fall = rise = 1, router polled every 20 ms.
    t.diagnostic(
      `service broken → router lost ${WEB4}: ${gone - broke.at} ms; mended → back: ${Date.now() - mended.at} ms`,
    );
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
    await waitForLog(daemon, (r) => r.event === 'bird.reconfigured', 'reconfigured', { from });

    // SIGTERM: withdraws all and exits 0.
    await node.service.mend();
    await routerHas(router, WEB4, true, 'up under the second run');
    assert.ok(daemon.signal('SIGTERM'));
    assert.equal((await daemon.waitForExit(15_000)).code, 0);
    await routerHas(router, WEB4, false, 'withdrawn at SIGTERM');
    assert.match(readFileSync(ipv6File, 'utf8'), /\[\n {8}2001:db8::1\/128\n {4}\];/);
  },
);

test(
  'BIRD 1.x layout (one BIRD per family): each is reconfigured only when its own file changes',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, router, bird4, bird6, ipv4File, ipv6File } = await twoBirdLab(t);
    const http6 = await lab.startHttpService(node.ns, { port: 8081, name: 'http6' });

    const config = `[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"

[announcers.bird]
ipv4_file = "${ipv4File}"
ipv6_file = "${ipv6File}"
socket = "${bird4.ctlPath}"
ipv6_socket = "${bird6.ctlPath}"

[services.web4]
prefixes.bird = ["${WEB4}"]
addresses = ["203.0.113.80"]
checks.http = [{ url = "${node.service.url}", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0

[services.web6]
prefixes.bird = ["${WEB6}"]
addresses = ["2001:db8::80"]
checks.http = [{ url = "${http6.url}", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
`;
    const daemon = await startDaemon(lab, node, config);
    await routerHas(router, WEB4, true, 'web4 up');
    await routerHas(router, WEB6, true, 'web6 up');
    const status = await waitForBird(node.apiDir, (s) => s.state === 'in-sync', 'in sync');
    assert.equal(status?.detail?.answer, 'Reconfigured');
    assert.equal(status?.detail?.bird6Answer, 'Reconfigured');
    assert.equal(status?.detail?.routesMissing, undefined);

    // Only IPv4 changes: only the IPv4 BIRD is reconfigured.
    const before4 = reconfigurations(bird4).length;
    const before6 = reconfigurations(bird6).length;
    await node.service.break('refuse');
    await routerHas(router, WEB4, false, 'web4 down');
    await waitFor(() => reconfigurations(bird4).length, {
      what: 'bird4 reconfigured',
      until: (n) => n > before4,
    });
    assert.ok(await router.route(WEB6), 'web6 untouched');
    assert.equal(
      reconfigurations(bird6).length,
      before6,
      'bird6 was reconfigured for an IPv4 change',
    );

    // Only IPv6 changes: only the IPv6 BIRD.
    const after4 = reconfigurations(bird4).length;
    await http6.break('refuse');
    await routerHas(router, WEB6, false, 'web6 down');
    await waitFor(() => reconfigurations(bird6).length, {
      what: 'bird6 reconfigured',
      until: (n) => n > before6,
    });
    assert.equal(
      reconfigurations(bird4).length,
      after4,
      'bird4 was reconfigured for an IPv6 change',
    );

    assert.ok(daemon.signal('SIGTERM'));
    assert.equal((await daemon.waitForExit(15_000)).code, 0);
  },
);

test(
  'an anycast-healthchecker configuration, imported, drives the same BIRD',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, router, nodeBird, ipv4File, ipv6File } = await birdNodeLab(t);
    // anycast-healthchecker never binds addresses: the operator did (ip_check_disabled = false).
    await lab.exec(node.ns, ['ip', 'addr', 'add', WEB4, 'dev', 'lo']);
    await lab.exec(node.ns, ['ip', '-6', 'addr', 'add', WEB6, 'dev', 'lo', 'nodad']);

    const dir = join(lab.dir, 'anycast-healthchecker');
    mkdirSync(join(dir, 'anycast-healthchecker.d'), { recursive: true });
    writeFileSync(
      join(dir, 'anycast-healthchecker.conf'),
      `[daemon]
ipv6                  = true
bird_conf             = ${ipv4File}
bird6_conf            = ${ipv6File}
bird_reconfigure_cmd  = birdc -s ${nodeBird.ctlPath} configure
bird6_reconfigure_cmd = birdc -s ${nodeBird.ctlPath} configure
loglevel              = debug
`,
    );
    const check = `/usr/bin/curl --fail --silent --max-time 1 -o /dev/null ${node.service.url}`;
    writeFileSync(
      join(dir, 'anycast-healthchecker.d', 'web.conf'),
      `[DEFAULT]
check_interval = 0.2
check_timeout  = 0.2
check_rise     = 1
check_fail     = 1
check_disabled = false

[web.example.net]
check_cmd = ${check}
ip_prefix = ${WEB4}

[web6.example.net]
check_cmd = ${check}
ip_prefix = 2001:db8::80
`,
    );
    const converted = join(dir, 'anycast-guard.toml');
    const imported = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          CLI,
          'import',
          'anycast-healthchecker',
          join(dir, 'anycast-healthchecker.conf'),
          join(dir, 'anycast-healthchecker.d'),
          '--output',
          converted,
        ],
        (error, _stdout, stderr) =>
          resolve({ code: error === null ? 0 : Number(error.code ?? -1), stderr }),
      );
    });
    assert.equal(imported.code, 0, imported.stderr);
    // The lab keeps the API's socket and state in its own dir (the defaults are host-wide).
    const config = `${readFileSync(converted, 'utf8')}
[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"
`;
    const daemon = await startDaemon(lab, node, config);
    await routerHas(router, WEB4, true, 'imported service healthy');
    await routerHas(router, WEB6, true, 'imported service healthy');
    const status = await waitForBird(node.apiDir, (s) => s.state === 'in-sync', 'in sync');
    assert.equal(status?.detail?.routesMissing, undefined);
    await node.service.break('refuse');
    await routerHas(router, WEB4, false, 'check_cmd fails');
    await routerHas(router, WEB6, false, 'check_cmd fails');
    await node.service.mend();
    await routerHas(router, WEB4, true, 'check_cmd passes again');
    assert.ok(daemon.signal('SIGTERM'));
    assert.equal((await daemon.waitForExit(15_000)).code, 0);
    await routerHas(router, WEB4, false, 'withdrawn at SIGTERM');
  },
);
