/**
 * anycastd's README example (examples/anycastd.toml, as it is) end to end: `anycast-guard
 * run` in the node namespace with it, a stand-in for Cabourotte's API on the node's
 * 127.0.0.1:9013 (Cabourotte's default, which the example relies on), FRRouting from
 * examples/frr.conf, and a BIRD router (frr-lab.ts). Only lab plumbing is added to the
 * file: the API socket and state directory in the lab, and FRR's pathspace.
 *
 * dns (default VRF) is checked at the router; ntp (VRF 123) in FRR's table of that VRF,
 * since the lab kernel has no VRF devices to peer from (frr-lab.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireLab, waitFor } from '../../lab/index.js';
import { isTransition, startDaemon, waitForLog } from '../harness.js';
import {
  example,
  frrLab,
  localRoute,
  networksUnder,
  startCabourotte,
  waitAtRouter,
} from './frr-lab.js';

const DNS = ['2001:db8::b19:bad:53/128', '203.0.113.53/32'];
const NTP = ['2001:db8::123:7e11:713e/128', '203.0.113.123/32'];
const VRF_ROUTER = 'router bgp 65001 vrf 123';
const ALL_PASS = { dns: true, ntp_v6: true, ntp_v4: true };

test(
  "anycastd's example config: Cabourotte checks drive FRRouting prefixes, VRF 123 included",
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'frr']))) return;
    const { lab, node, frr, control } = await frrLab(t);
    const cabourotte = await startCabourotte(lab, node.ns, ALL_PASS);
    const config = `${example('anycastd.toml')}
# Lab plumbing (not part of anycastd's example):
[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"

[announcers.frrouting]
pathspace = "${frr.pathspace}"
`;
    const daemon = await startDaemon(lab, node, config);

    // Both services come up (rise 2): dns at the router, ntp under router bgp 65001 vrf 123.
    for (const prefix of DNS) await waitAtRouter(control, prefix, true);
    await waitFor(() => networksUnder(frr, VRF_ROUTER), {
      what: `ntp's prefixes under ${VRF_ROUTER}`,
      until: (n) => n.join() === NTP.join(),
      timeoutMs: 30_000,
    });
    for (const prefix of NTP) {
      await waitFor(() => localRoute(frr, prefix, '123'), {
        what: `${prefix} in vrf 123's BGP table`,
        until: (route) => route !== undefined,
        timeoutMs: 10_000,
      });
      assert.deepEqual(await control.paths(prefix), [], `${prefix} not in the default VRF`);
    }

    // A failing Cabourotte check takes its service down; ntp's two must both pass (anycastd: all must).
    cabourotte.set({ ...ALL_PASS, dns: false });
    await waitForLog(daemon, (r) => isTransition('dns', 'down')(r), 'dns down', {
      timeoutMs: 30_000,
    });
    for (const prefix of DNS) await waitAtRouter(control, prefix, false);
    assert.deepEqual(await networksUnder(frr, VRF_ROUTER), NTP, 'ntp is not affected');

    cabourotte.set({ ...ALL_PASS, dns: false, ntp_v6: false });
    await waitFor(() => networksUnder(frr, VRF_ROUTER), {
      what: `ntp's prefixes gone from ${VRF_ROUTER}`,
      until: (n) => n.length === 0,
      timeoutMs: 30_000,
    });
    // bgpd drops the route from the VRF's table a moment after the statement goes.
    await waitFor(() => localRoute(frr, NTP[1] ?? '', '123'), {
      what: `${NTP[1]} gone from vrf 123's BGP table`,
      until: (route) => route === undefined,
      timeoutMs: 10_000,
    });

    // Mended: back after rise and the 10 s hold-down.
    cabourotte.set(ALL_PASS);
    await waitFor(() => networksUnder(frr, VRF_ROUTER), {
      what: `ntp's prefixes back under ${VRF_ROUTER}`,
      until: (n) => n.join() === NTP.join(),
      timeoutMs: 40_000,
    });
    for (const prefix of DNS) await waitAtRouter(control, prefix, true, 40_000);

    daemon.signal('SIGTERM');
    assert.equal((await daemon.waitForExit(15_000)).code, 0);
    assert.deepEqual(await networksUnder(frr, VRF_ROUTER), []);
    assert.deepEqual(await networksUnder(frr, 'router bgp 65001'), ['198.51.100.0/24']);
    for (const prefix of DNS) await waitAtRouter(control, prefix, false);
  },
);
