/**
 * TCP-MD5 (RFC 2385) against real routers: `anycast-guard run` in namespace "node",
 * BIRD, FRRouting and GoBGP each in its own namespace, and with each four sessions:
 * we connect (IPv4, IPv6 transport) and the router connects to our listener (IPv4,
 * IPv6). Router addresses .2/::2 (we connect to them) and .3/::3 (they connect to our
 * .4/::4). Every session is signed with its own password, most from password files.
 *
 * Then a SIGHUP with a wrong password (BIRD, we connect), none (FRR, we connect) and a
 * wrong one on a passive peer (GoBGP): those stay down and status says why; a SIGHUP
 * with the right ones brings all twelve back. Last, the password is looked for in
 * everything the run wrote: logs, /v1/status, /metrics, check-config's output.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../lab/exec.js';
import { BIRD_TEST_TIMERS, Lab, requireLab, waitFor } from '../lab/index.js';
import type { Link, Namespace, RouterKind } from '../lab/index.js';
import { CLI, NODE_AS, ROUTER_AS, runArgv } from './harness.js';

const KINDS: readonly RouterKind[] = ['bird', 'frr', 'gobgp'];

/** The second pair of addresses on a link: router .3 / ::3, node .4 / ::4. */
function plus(address: string, n: number): string {
  if (address.includes(':'))
    return address.replace(/::(\d+)$/, (_, h: string) => `::${Number(h) + n}`);
  const parts = address.split('.');
  parts[3] = String(Number(parts[3]) + n);
  return parts.join('.');
}

interface Session {
  kind: RouterKind;
  /** The router's address: our peer. */
  peer: string;
  /** Ours on this session. */
  local: string;
  /** We connect (false: the router does, to our listener). */
  active: boolean;
  password: string;
}

function sessionsOf(kind: RouterKind, link: Link): Session[] {
  const pw = (what: string): string => `${kind}-${what}-S3cr3t-${link.index}`;
  return [
    { kind, peer: link.b.ipv4, local: link.a.ipv4, active: true, password: pw('a4') },
    {
      kind,
      peer: plus(link.b.ipv4, 1),
      local: plus(link.a.ipv4, 3),
      active: false,
      password: pw('p4'),
    },
    { kind, peer: link.b.ipv6, local: link.a.ipv6, active: true, password: pw('a6') },
    {
      kind,
      peer: plus(link.b.ipv6, 1),
      local: plus(link.a.ipv6, 3),
      active: false,
      password: pw('p6'),
    },
  ];
}

function routerConf(kind: RouterKind, routerId: string, sessions: readonly Session[]): string {
  switch (kind) {
    case 'bird':
      return `router id ${routerId};\nprotocol device {}\n${sessions
        .map(
          (s, i) => `
protocol bgp s${i} {
  local ${s.peer} as ${ROUTER_AS};
  neighbor ${s.local} as ${NODE_AS};
  ${s.active ? 'passive on;' : ''}
  password "${s.password}";
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
}`,
        )
        .join('\n')}\n`;
    case 'frr':
      return `frr defaults traditional
hostname router
!
router bgp ${ROUTER_AS}
 bgp router-id ${routerId}
 no bgp ebgp-requires-policy
${sessions
  .map(
    (s) => ` neighbor ${s.local} remote-as ${NODE_AS}
 neighbor ${s.local} update-source ${s.peer}
 neighbor ${s.local} password ${s.password}
 neighbor ${s.local} timers connect 1
${s.active ? ` neighbor ${s.local} passive\n` : ''}`,
  )
  .join('')}!
`;
    case 'gobgp':
      return `[global.config]
  as = ${ROUTER_AS}
  router-id = "${routerId}"
${sessions
  .map(
    (s) => `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${s.local}"
    peer-as = ${NODE_AS}
    auth-password = "${s.password}"
  [neighbors.transport.config]
    local-address = "${s.peer}"
    passive-mode = ${s.active}
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`,
  )
  .join('')}`;
  }
}

/** The daemon's config; `passwords` says per peer: a file, inline, or none. */
function daemonConf(
  apiDir: string,
  routerId: string,
  sessions: readonly Session[],
  passwordOf: (s: Session, i: number) => { file: string } | { inline: string } | undefined,
): string {
  const peers = sessions.map((s, i) => {
    const pw = passwordOf(s, i);
    const secret =
      pw === undefined
        ? ''
        : 'file' in pw
          ? `password_file = "${pw.file}"\n`
          : `password = "${pw.inline}"\n`;
    return `[[bgp.peers]]
name = "${s.kind}-${s.active ? 'we-connect' : 'they-connect'}-${s.peer.includes(':') ? 'v6' : 'v4'}"
address = "${s.peer}"
asn = ${ROUTER_AS}
families = ["ipv4"]
next_hop = { ipv4 = "${routerId}" }
${s.active ? `local_address = "${s.local}"\nconnect_retry = 1\nmax_connect_retry = 2\n` : 'passive = true\n'}${secret}`;
  });
  return `[api]
listen = false
socket = "${apiDir}/control.sock"
state_dir = "${apiDir}"

[bgp]
asn = ${NODE_AS}
router_id = "${routerId}"
listen = { host = "::", port = 179 }

${peers.join('\n')}
[services.web]
prefixes = ["203.0.113.77/32"]
announce = "always"
`;
}

function api(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

interface PeerView {
  name: string;
  address: string;
  state: string;
  connectProblem?: string;
  tcpMd5?: boolean;
}

async function peers(socketPath: string): Promise<PeerView[]> {
  return (JSON.parse(await api(socketPath, '/v1/status')) as { peers: PeerView[] }).peers;
}

test(
  'TCP-MD5 with BIRD, FRRouting and GoBGP: active and passive, IPv4 and IPv6',
  { timeout: 300_000 },
  async (t) => {
    if (!(await requireLab(t, [...KINDS]))) return;
    const lab = await Lab.create();
    t.after(() => lab.teardown());
    const node: Namespace = await lab.namespace('node');
    const sessions: Session[] = [];
    for (const kind of KINDS) {
      const routerNs = await lab.namespace(kind);
      const link = await lab.link(node, routerNs, { ipv4PrefixLength: 29 });
      // The second address of each end (node .4 / ::4, router .3 / ::3).
      for (const [end, n] of [
        [link.a, 3],
        [link.b, 1],
      ] as const) {
        await run([
          'ip',
          '-n',
          end.ns.netns,
          'addr',
          'add',
          `${plus(end.ipv4, n)}/29`,
          'dev',
          end.ifname,
        ]);
        await run([
          'ip',
          '-n',
          end.ns.netns,
          '-6',
          'addr',
          'add',
          `${plus(end.ipv6, n)}/64`,
          'dev',
          end.ifname,
          'nodad',
        ]);
      }
      const mine = sessionsOf(kind, link);
      sessions.push(...mine);
      const conf = routerConf(kind, link.b.ipv4, mine);
      if (kind === 'bird') await lab.startBird(routerNs, conf);
      else if (kind === 'frr') await lab.startFrr(routerNs, conf);
      else await lab.startGobgp(routerNs, conf);
    }
    const apiDir = join(lab.dir, 'node-api');
    const socketPath = join(apiDir, 'control.sock');
    const configPath = join(lab.dir, 'node.toml');
    const routerId = '198.18.255.1';
    const fileOf = (i: number): string => join(lab.dir, `peer${i}.pass`);
    const writePasswords = (wrong: (i: number) => boolean): void =>
      sessions.forEach((s, i) => {
        writeFileSync(fileOf(i), `${wrong(i) ? `${s.password}-WRONG` : s.password}\n`, {
          mode: 0o600,
        });
        chmodSync(fileOf(i), 0o600);
      });
    // Peer 0 keeps its password inline (the other way to give one); the rest read files.
    const right = (s: Session, i: number) =>
      i === 0 ? { inline: s.password } : { file: fileOf(i) };
    writePasswords(() => false);
    writeFileSync(configPath, daemonConf(apiDir, routerId, sessions, right));

    const checkConfig = await run([process.execPath, CLI, 'check-config', '--config', configPath]);
    const daemon = await lab.spawn(node, {
      name: 'daemon',
      argv: runArgv(configPath),
    });
    const started = performance.now();
    const allEstablished = (): Promise<PeerView[]> =>
      waitFor(() => peers(socketPath), {
        what: 'all twelve sessions Established',
        timeoutMs: 60_000,
        intervalMs: 200,
        until: (ps) => ps.length === 12 && ps.every((p) => p.state === 'established'),
      });
    const up = await allEstablished();
    t.diagnostic(
      `12 signed sessions Established ${Math.round(performance.now() - started)} ms after start`,
    );
    assert.ok(up.every((p) => p.tcpMd5 === true));

    // A wrong password (BIRD, we connect), none at all (FRR, we connect), a wrong one
    // on a peer that connects to us (GoBGP): SIGHUP, and those three never come up.
    const birdA4 = sessions.findIndex(
      (s) => s.kind === 'bird' && s.active && !s.peer.includes(':'),
    );
    const frrA4 = sessions.findIndex((s) => s.kind === 'frr' && s.active && !s.peer.includes(':'));
    const gobgpP4 = sessions.findIndex(
      (s) => s.kind === 'gobgp' && !s.active && !s.peer.includes(':'),
    );
    writePasswords((i) => i === birdA4 || i === gobgpP4);
    writeFileSync(
      configPath,
      daemonConf(apiDir, routerId, sessions, (s, i) =>
        i === frrA4 ? undefined : { file: fileOf(i) },
      ),
    );
    process.kill(daemon.pid ?? 0, 'SIGHUP');
    const broken = new Set([
      sessions[birdA4]!.peer,
      sessions[frrA4]!.peer,
      sessions[gobgpP4]!.peer,
    ]);
    const down = await waitFor(() => peers(socketPath), {
      what: 'the wrong-password peers to report no answer',
      timeoutMs: 30_000,
      intervalMs: 200,
      until: (ps) =>
        ps.filter((p) => broken.has(p.address)).every((p) => p.state !== 'established') &&
        ps
          .find((p) => p.address === sessions[birdA4]!.peer)
          ?.connectProblem?.includes('TCP-MD5') === true &&
        ps.filter((p) => !broken.has(p.address)).every((p) => p.state === 'established'),
    });
    // Three more connect-retry rounds: still not up.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const still = await peers(socketPath);
    for (const p of still.filter((q) => broken.has(q.address)))
      assert.notEqual(p.state, 'established', `${p.name} came up with a wrong or missing password`);
    t.diagnostic(
      `after the wrong passwords: ${JSON.stringify(down.filter((p) => broken.has(p.address)).map((p) => [p.name, p.state, p.connectProblem]))}`,
    );
    assert.match(
      down.find((p) => p.address === sessions[birdA4]!.peer)?.connectProblem ?? '',
      /no answer: check the TCP-MD5 password/,
    );

    // The right passwords again: SIGHUP re-establishes all twelve.
    writePasswords(() => false);
    writeFileSync(configPath, daemonConf(apiDir, routerId, sessions, right));
    const hup = performance.now();
    process.kill(daemon.pid ?? 0, 'SIGHUP');
    await allEstablished();
    t.diagnostic(`all twelve back ${Math.round(performance.now() - hup)} ms after SIGHUP`);

    // The password is nowhere in what the run put out.
    const metrics = await api(socketPath, '/metrics');
    const status = await api(socketPath, '/v1/status');
    const logs = [...daemon.lines.map((l) => l.text), readFileSync(daemon.stderrPath, 'utf8')].join(
      '\n',
    );
    const outputs = { logs, status, metrics, checkConfig: checkConfig.stdout + checkConfig.stderr };
    assert.ok(logs.includes('bgp.session_established'), 'the logs were captured');
    assert.ok(metrics.length > 0 && status.includes('established'));
    // Every password has "S3cr3t" in it: no output may hold any part of one.
    for (const [what, text] of Object.entries(outputs))
      assert.ok(!text.includes('S3cr3t'), `${what} holds a password`);
  },
);

/**
 * GTSM (RFC 5082): BIRD next to us with `ttl security on` accepts our session; BIRD one
 * hop further (through namespace "mid", which forwards; it sends with `multihop 255`,
 * so 254 arrives) is up while we do not ask for GTSM, and never comes up once a SIGHUP
 * turns it on.
 */
test(
  'GTSM: a direct BIRD accepts us, one a hop away is refused',
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const lab = await Lab.create();
    t.after(() => lab.teardown());
    const node = await lab.namespace('node');
    const near = await lab.namespace('near');
    const mid = await lab.namespace('mid');
    const far = await lab.namespace('far');
    const direct = await lab.link(node, near);
    const toMid = await lab.link(node, mid);
    const onward = await lab.link(mid, far);
    await lab.exec(mid, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await run(['ip', '-n', node.netns, 'route', 'add', `${onward.b.ipv4}/32`, 'via', toMid.b.ipv4]);
    await run(['ip', '-n', far.netns, 'route', 'add', `${toMid.a.ipv4}/32`, 'via', onward.a.ipv4]);
    const bird = (local: string, neighbor: string, hops: string): string => `router id ${local};
protocol device {}
protocol bgp node {
  local ${local} as ${ROUTER_AS};
  neighbor ${neighbor} as ${NODE_AS};
  passive on;
  ${hops}
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
}
`;
    const nearBird = await lab.startBird(
      near,
      bird(direct.b.ipv4, direct.a.ipv4, 'ttl security on;'),
    );
    // Far sends with TTL 255 (so 254 arrives) and checks nothing itself: only our GTSM refuses it.
    await lab.startBird(far, bird(onward.b.ipv4, toMid.a.ipv4, 'multihop 255;'));
    const apiDir = join(lab.dir, 'node-api');
    const socketPath = join(apiDir, 'control.sock');
    const configPath = join(lab.dir, 'node.toml');
    const conf = (farGtsm: boolean): string => `[api]
listen = false
socket = "${socketPath}"
state_dir = "${apiDir}"

[bgp]
asn = ${NODE_AS}
router_id = "${direct.a.ipv4}"

[[bgp.peers]]
name = "near"
address = "${direct.b.ipv4}"
asn = ${ROUTER_AS}
local_address = "${direct.a.ipv4}"
families = ["ipv4"]
connect_retry = 1
max_connect_retry = 2
ttl_security = true

[[bgp.peers]]
name = "far"
address = "${onward.b.ipv4}"
asn = ${ROUTER_AS}
local_address = "${toMid.a.ipv4}"
families = ["ipv4"]
connect_retry = 1
max_connect_retry = 2
ttl_security = ${farGtsm}

[services.web]
prefixes = ["203.0.113.78/32"]
announce = "always"
`;
    writeFileSync(configPath, conf(false));
    const daemon = await lab.spawn(node, {
      name: 'daemon',
      argv: [process.execPath, CLI, 'run', '--config', configPath, '--log-level', 'debug'],
    });
    const state = async (): Promise<Record<string, string>> =>
      Object.fromEntries((await peers(socketPath)).map((p) => [p.name, p.state]));
    await waitFor(state, {
      what: 'near (GTSM) and far (no GTSM) Established',
      timeoutMs: 30_000,
      intervalMs: 200,
      until: (s) => s.near === 'established' && s.far === 'established',
    }).catch(async (error: unknown) => {
      process.stderr.write(await nearBird.birdc('show protocols all node'));
      throw error;
    });
    writeFileSync(configPath, conf(true));
    process.kill(daemon.pid ?? 0, 'SIGHUP');
    await waitFor(state, {
      what: 'far down once GTSM is on',
      timeoutMs: 15_000,
      intervalMs: 200,
      until: (s) => s.far !== 'established',
    });
    // Several connect-retry rounds: far's SYN-ACK arrives with 254 and is dropped every time.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const after = await peers(socketPath);
    const farView = after.find((p) => p.name === 'far');
    assert.notEqual(farView?.state, 'established', 'a peer one hop away got through GTSM');
    assert.equal(after.find((p) => p.name === 'near')?.state, 'established');
    t.diagnostic(`far with GTSM: ${JSON.stringify(farView)}`);
  },
);
