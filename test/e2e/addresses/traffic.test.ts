/**
 * Real traffic through a bound anycast address. Our speaker (node namespace) announces
 * 203.0.113.80/32 and 2001:db8::80/128 to BIRD (router namespace), whose kernel protocol
 * installs the routes; an HTTP listener on [::] runs in the node namespace. A TCP
 * connection from the router to the anycast address reaches the listener while the route
 * is announced and the address bound, and fails after withdrawal — and, to show the
 * address is what makes it work, also while announced with the address released.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressManager } from '../../../src/addresses/index.js';
import { BIRD_TEST_TIMERS, Lab, requireLab, run, waitFor } from '../../lab/index.js';
import type { Namespace } from '../../lab/index.js';
import { kernelAddresses, nsIp } from './kernel.js';

const NODE_AS = 65001;
const ROUTER_AS = 65000;
const ANYCAST = ['203.0.113.80', '2001:db8::80'];
const PREFIXES = ['203.0.113.80/32', '2001:db8::80/128'];

/** Connects, sends one HTTP request, prints {"ok":true,"status":"HTTP/1.1 200 OK"} or the error. */
const PROBE = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
let out = '';
const done = (result) => { process.stdout.write(JSON.stringify(result)); process.exit(0); };
const socket = net.connect({ host, port: Number(port), timeout: 1500 });
socket.on('connect', () => socket.write('GET /health HTTP/1.0\\r\\nHost: anycast\\r\\n\\r\\n'));
socket.on('data', (chunk) => { out += chunk; });
socket.on('end', () => done({ ok: true, status: out.split('\\r\\n')[0] }));
socket.on('timeout', () => done({ ok: false, error: 'timeout' }));
socket.on('error', (error) => done({ ok: false, error: error.code || error.message }));
`;

interface Probe {
  ok: boolean;
  status?: string;
  error?: string;
}

async function connectFrom(ns: Namespace, host: string, port: number): Promise<Probe> {
  const { stdout } = await run([
    'ip',
    'netns',
    'exec',
    ns.netns,
    process.execPath,
    '-e',
    PROBE,
    host,
    String(port),
  ]);
  return JSON.parse(stdout) as Probe;
}

/** The router's kernel routes for the prefix (installed by BIRD's kernel protocol). */
async function kernelRoute(ns: Namespace, prefix: string): Promise<unknown[]> {
  const family = prefix.includes(':') ? '-6' : '-4';
  const { stdout } = await run(['ip', '-n', ns.netns, family, '-j', 'route', 'show', prefix]);
  return JSON.parse(stdout) as unknown[];
}

test('TCP to the anycast address works only while announced and bound', async (t) => {
  if (!(await requireLab(t, ['bird']))) return;
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const node = await lab.namespace('node');
  const router = await lab.namespace('router');
  const link = await lab.link(node, router);

  await lab.startBird(
    router,
    `
router id ${link.b.ipv4};
protocol device {}
protocol kernel { ipv4 { export all; }; }
protocol kernel { ipv6 { export all; }; }
protocol bgp node {
  local ${link.b.ipv4} as ${ROUTER_AS};
  neighbor ${link.a.ipv4} as ${NODE_AS};
  passive on;
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`,
  );
  const web = await lab.startHttpService(node, { host: '::' });
  const speaker = await lab.startSpeaker(node, {
    logLevel: process.env.AG_LAB_LOG_LEVEL ?? 'warn',
    speaker: {
      asn: NODE_AS,
      routerId: link.a.ipv4,
      peers: [
        {
          name: 'router',
          address: link.b.ipv4,
          asn: ROUTER_AS,
          localAddress: link.a.ipv4,
          connectRetry: 1,
          maxConnectRetry: 2,
        },
      ],
    },
  });
  const addresses = new AddressManager({
    services: [{ name: 'web', addresses: ANYCAST }],
    ip: nsIp(node),
  });
  await speaker.waitForPeerState('router');

  const routesInstalled = (want: boolean) =>
    Promise.all(
      PREFIXES.map((prefix) =>
        waitFor(() => kernelRoute(router, prefix), {
          what: `${prefix} ${want ? 'in' : 'gone from'} the router's kernel table`,
          until: (routes) => routes.length > 0 === want,
        }),
      ),
    );
  const probeAll = () => Promise.all(ANYCAST.map((ip) => connectFrom(router, ip, web.port)));

  await t.test('bound, then announced: the router reaches the listener', async () => {
    await addresses.bind();
    const lo = await kernelAddresses(node, 'lo');
    assert.ok(lo.includes('203.0.113.80/32') && lo.includes('2001:db8::80/128'), lo.join(' '));
    for (const prefix of PREFIXES) await speaker.announce([prefix]);
    await routesInstalled(true);
    const probes = await probeAll();
    assert.deepEqual(probes, [
      { ok: true, status: 'HTTP/1.1 200 OK' },
      { ok: true, status: 'HTTP/1.1 200 OK' },
    ]);
  });

  await t.test('withdrawn (address still bound): the connection fails', async () => {
    await speaker.withdraw(PREFIXES);
    await routesInstalled(false);
    const lo = await kernelAddresses(node, 'lo');
    assert.ok(lo.includes('203.0.113.80/32'), 'the address is still bound; only the route went');
    // The router has no route left: the kernel refuses at once.
    assert.deepEqual(await probeAll(), [
      { ok: false, error: 'ENETUNREACH' },
      { ok: false, error: 'ENETUNREACH' },
    ]);
  });

  await t.test('released: the address is gone, and a route alone does not deliver', async () => {
    await addresses.release();
    const lo = await kernelAddresses(node, 'lo');
    assert.ok(!lo.includes('203.0.113.80/32') && !lo.includes('2001:db8::80/128'), lo.join(' '));
    for (const prefix of PREFIXES) await speaker.announce([prefix]);
    await routesInstalled(true);
    // The packets reach the node, which has no such local address and does not forward:
    // IPv4 drops them (the connect times out), IPv6 answers ICMPv6 no-route (ENETUNREACH).
    for (const probe of await probeAll()) {
      assert.equal(probe.ok, false, JSON.stringify(probe));
      assert.ok(
        ['timeout', 'ENETUNREACH', 'EHOSTUNREACH'].includes(probe.error ?? ''),
        probe.error,
      );
    }
    await speaker.withdraw(PREFIXES);
    await routesInstalled(false);
  });

  const exit = await speaker.shutdown('addresses traffic test done');
  assert.equal(exit.code, 0);
});
