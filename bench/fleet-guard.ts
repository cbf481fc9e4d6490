/**
 * Fleet guard benchmark (issue 18): what the guard adds to one node's withdrawal. A
 * single node's judgement fails (its disable file is written: a `file` check, which
 * inotify runs at once, so the check adds about a millisecond); time until its route is
 * gone at the BIRD router, with and without `fleet_guard`, side by side in one run.
 *
 * The lab is the fleet guard's end-to-end lab (test/e2e/fleet-lab.ts): three nodes, each
 * `anycast-guard run` in its own namespace with one eBGP session to BIRD 2 and
 * `[directors]` naming three `anycast-guard director`s on loopback of a directors
 * namespace (ads every second and at once on every transition). Every node announces
 * 203.0.113.53/32 while its file check passes (rise 1, fall 1, hold-down 0):
 *
 *   node1  plain   no fleet_guard
 *   node2  guard   fleet_guard = { min_announcing = 1 }: it must get a withdrawal
 *                  permit from every director that answers (a majority) before it withdraws
 *   node3  -       never broken: keeps two announcing, so node2's permits are granted
 *
 * Each round breaks node1 and node2 one after the other (in a random order), each at a
 * random moment 200–700 ms after the last route came back; start = the bench's
 * Date.now() just before the file is written, end = BIRD's "removed" log line for that
 * node's session (same realtime clock, ms). Also from the node's own log: the break → its
 * `service.state_changed` down (time in the daemon), which for node2 holds the permit
 * round; the difference of the two variants is what the guard costs. For node2, also the
 * permit round itself: its failing `check.result` line → its `guard.permit_granted` line.
 *
 * Usage: node dist/bench/fleet-guard.js [--runs N]
 * Needs root (network namespaces), bird2 and curl. Exit status 2 when the lab cannot run.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { median, percentile, textTable } from './stats.js';
import {
  fleetNodeConfig,
  guardLab,
  startFleetDaemon,
  type FleetNode,
  type GuardLab,
} from '../test/e2e/fleet-lab.js';
import { birdRouteEvents, isTransition, records, time } from '../test/e2e/harness.js';
import {
  LabUnavailable,
  checkLabPrerequisites,
  findExecutable,
  teardownScope,
  waitFor,
} from '../test/lab/index.js';

const ANYCAST = '203.0.113.53';
const PREFIX = `${ANYCAST}/32`;
const SERVICE = 'dns';
const POLL_MS = 5;

type VariantName = 'plain' | 'guard';

interface Variant {
  readonly name: VariantName;
  readonly node: FleetNode;
  readonly disable: string;
}

interface Sample {
  /** Break → BIRD's removal. */
  readonly routeGoneMs: number;
  /** Break → the daemon's own `down` transition (its log's time). */
  readonly downMs: number;
  /** The permit rounds the node logged for this break (guard only). */
  readonly permitRounds: number;
  /** The failing check result → the permit round's outcome, in the daemon's log (guard only). */
  readonly permitMs?: number;
}

function serviceConfig(disable: string, guard: boolean): string {
  return `[services.${SERVICE}]
prefixes = ["${ANYCAST}"]
checks.file = [{ path = "${disable}", interval = 5, timeout = 1 }]
rise = 1
fall = 1
hold_down = 0
${guard ? 'fleet_guard = { min_announcing = 1 }\n' : ''}`;
}

async function waitPath(g: GuardLab, protocol: string, present: boolean): Promise<void> {
  await waitFor(async () => (await g.control.paths(PREFIX)).includes(protocol) === present, {
    what: `${PREFIX} from ${protocol} ${present ? 'in' : 'gone from'} the router`,
    timeoutMs: 30_000,
    intervalMs: POLL_MS,
  });
}

async function directorsReady(g: GuardLab): Promise<void> {
  for (const url of g.directorUrls)
    await waitFor(
      async () => {
        const { stdout } = await g.lab.exec(
          g.directorsNs,
          ['curl', '-sS', '--max-time', '2', `${url}/healthz`],
          { allowFailure: true },
        );
        return stdout;
      },
      {
        what: `director ${url} ready`,
        until: (body) => /"ready":true/.test(body),
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
}

async function round(g: GuardLab, variant: Variant): Promise<Sample> {
  const { node } = variant;
  const daemon = node.daemon;
  if (daemon === undefined) throw new Error(`${node.name} has no daemon`);
  await delay(200 + Math.random() * 500);
  const from = daemon.lines.length;
  const brokeAt = Date.now();
  writeFileSync(variant.disable, '');
  await waitPath(g, node.name, false);
  const down = await daemon.waitForJson(isTransition(SERVICE, 'down'), {
    what: `${node.name} down`,
    from,
  });
  rmSync(variant.disable);
  await waitPath(g, node.name, true);
  const removedAt = birdRouteEvents(g.router, node.name, 'removed', PREFIX).find(
    (at) => at >= brokeAt,
  );
  if (removedAt === undefined) throw new Error(`${variant.name}: BIRD logged no removal`);
  const logged = records(daemon, from).filter((r) => time(r) <= time(down));
  const failed = logged.find((r) => r.event === 'check.result' && r.ok === false);
  const rounds = logged.filter(
    (r) => r.event === 'guard.permit_granted' || r.event === 'guard.permit_refused',
  );
  const last = rounds.at(-1);
  return {
    routeGoneMs: removedAt - brokeAt,
    downMs: time(down) - brokeAt,
    permitRounds: rounds.length,
    ...(failed === undefined || last === undefined ? {} : { permitMs: time(last) - time(failed) }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  try {
    checkLabPrerequisites();
    for (const bin of ['bird', 'curl'])
      if (!findExecutable(bin)) throw new LabUnavailable(`${bin} not found`);
  } catch (error) {
    console.error(
      `fleet-guard benchmark: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(2);
  }

  const scope = teardownScope();
  const samples = new Map<VariantName, Sample[]>([
    ['plain', []],
    ['guard', []],
  ]);
  try {
    const g = await guardLab(scope, { nodes: 3, directors: 3 });
    const [plain, guarded, bystander] = g.nodes;
    if (plain === undefined || guarded === undefined || bystander === undefined)
      throw new Error('three nodes expected');
    const maintenance = join(g.lab.dir, 'maintenance');
    mkdirSync(maintenance);
    const disable = (node: FleetNode): string => join(maintenance, `${node.name}-disable`);
    for (const [node, guard] of [
      [plain, false],
      [guarded, true],
      [bystander, false],
    ] as const)
      await startFleetDaemon(
        g.lab,
        node,
        fleetNodeConfig(node, g.directorUrls, serviceConfig(disable(node), guard)),
      );
    for (const node of g.nodes) await waitPath(g, node.name, true);
    await directorsReady(g);
    const variants: Variant[] = [
      { name: 'plain', node: plain, disable: disable(plain) },
      { name: 'guard', node: guarded, disable: disable(guarded) },
    ];
    // One untimed round each: the first permit request opens the node's connections.
    for (const variant of variants) await round(g, variant);
    for (let i = 0; i < runs; i++) {
      const order = Math.random() < 0.5 ? variants : [...variants].reverse();
      for (const variant of order) {
        const sample = await round(g, variant);
        if (variant.name === 'guard' && sample.permitRounds === 0)
          throw new Error(
            `${guarded.name} withdrew without asking the directors: nothing measured`,
          );
        samples.get(variant.name)?.push(sample);
        process.stderr.write(
          `  round ${i + 1}/${runs} ${variant.name}: route gone ${sample.routeGoneMs} ms, down ${sample.downMs} ms${variant.name === 'guard' ? `, ${sample.permitRounds} permit round(s)` : ''}\n`,
        );
      }
    }
  } finally {
    await scope.run();
  }

  const summary = (name: VariantName) => {
    const list = samples.get(name) ?? [];
    const gone = list.map((s) => s.routeGoneMs).sort((a, b) => a - b);
    const down = list.map((s) => s.downMs).sort((a, b) => a - b);
    const permit = list.flatMap((s) => (s.permitMs === undefined ? [] : [s.permitMs]));
    permit.sort((a, b) => a - b);
    return {
      gone,
      down,
      permit,
      median: median(gone),
      p99: percentile(gone, 99),
      downMedian: median(down),
      downP99: percentile(down, 99),
      rounds: list.map((s) => s.permitRounds),
    };
  };
  const plain = summary('plain');
  const guard = summary('guard');
  const row = (name: string, s: ReturnType<typeof summary>): string[] => [
    name,
    String(s.gone.length),
    s.median.toFixed(0),
    s.p99.toFixed(0),
    `${s.gone[0] ?? NaN}–${s.gone.at(-1) ?? NaN}`,
    `${s.downMedian.toFixed(0)}, ${s.downP99.toFixed(0)}`,
    s.permit.length === 0
      ? '-'
      : `${median(s.permit).toFixed(0)}, ${percentile(s.permit, 99).toFixed(0)}`,
  ];
  console.log(
    textTable([
      [
        'variant',
        'n',
        'median ms',
        'p99 ms',
        'min–max ms',
        'break → down in the daemon (median, p99)',
        'check failed → permit (median, p99)',
      ],
      row('plain', plain),
      row('guard', guard),
      [
        'guard − plain',
        '',
        (guard.median - plain.median).toFixed(0),
        (guard.p99 - plain.p99).toFixed(0),
        '',
        `${(guard.downMedian - plain.downMedian).toFixed(0)}, ${(guard.downP99 - plain.downP99).toFixed(0)}`,
        '',
      ],
    ]),
  );
  console.log(
    JSON.stringify({
      bench: 'fleet-guard',
      node: process.version,
      runs,
      results: (['plain', 'guard'] as const).map((name) => ({
        variant: name,
        routeGoneMs: (samples.get(name) ?? []).map((s) => s.routeGoneMs),
        downMs: (samples.get(name) ?? []).map((s) => s.downMs),
        permitRounds: (samples.get(name) ?? []).map((s) => s.permitRounds),
        permitMs: (samples.get(name) ?? []).flatMap((s) =>
          s.permitMs === undefined ? [] : [s.permitMs],
        ),
      })),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
