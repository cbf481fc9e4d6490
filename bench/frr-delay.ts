/**
 * Where FRRouting's failover time goes: for one `no network` (then `network`) as the
 * FRRouting announcer issues it (one vtysh run: the change, then `show running-config`),
 * the time vtysh takes, and the time from vtysh's exit until the BIRD router logs the
 * withdrawal ("removed", its own realtime ms clock): bgpd's own delay plus the wire.
 * Runs under several bgpd settings, applied with vtysh to the FRR of
 * test/e2e/announcers/frr-lab.ts (examples/frr.conf as it is), one after another:
 *
 *   as-is        examples/frr.conf
 *   mrai-0       + `neighbor 198.18.0.2 advertisement-interval 0` (the MRAI, RFC 4271 9.2.1.1)
 *   mrai-2       + advertisement-interval 2 s, to show the MRAI's part when there is one
 *   timers-1-3   + `timers bgp 1 3` (keepalive / hold: not expected to matter)
 *
 * Usage: node dist/bench/frr-delay.js [--runs N]
 * Needs root (network namespaces), bird2, frr.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { runCommand } from '../src/announcers/command.js';
import { labUnavailableReason, teardownScope } from '../test/lab/index.js';
import { birdRouteEvents } from '../test/e2e/harness.js';
import { frrLab, waitAtRouter } from '../test/e2e/announcers/frr-lab.js';
import { meanAndSe, median, textTable } from './stats.js';

const PREFIX = '203.0.113.80/32';
const ROUTER_LINE = 'router bgp 65001';
const NEIGHBOR = '198.18.0.2';

const VARIANTS: readonly { name: string; commands: string[] }[] = [
  { name: 'as-is', commands: [] },
  { name: 'mrai-0', commands: [`neighbor ${NEIGHBOR} advertisement-interval 0`] },
  { name: 'mrai-2', commands: [`neighbor ${NEIGHBOR} advertisement-interval 2`] },
  {
    name: 'timers-1-3',
    commands: [`neighbor ${NEIGHBOR} advertisement-interval 0`, 'timers bgp 1 3'],
  },
];

interface Row {
  variant: string;
  vtysh: number[];
  bgpd: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
  const runs = Number(values.runs);
  const unavailable = await labUnavailableReason(['bird', 'frr']);
  if (unavailable !== undefined) throw new Error(unavailable);
  const scope = teardownScope();
  const rows: Row[] = [];
  try {
    const { frr, router, control } = await frrLab(scope);
    const mraiOf = async (): Promise<unknown> => {
      const doc = (await frr.vtyshJson(`show bgp neighbors ${NEIGHBOR} json`)) as Record<
        string,
        Record<string, unknown>
      >;
      return doc[NEIGHBOR]?.minBtwnAdvertisementRunsTimerMsecs;
    };
    process.stderr.write(
      `FRR's MRAI toward the router as configured: ${String(await mraiOf())} ms\n`,
    );
    const change = (no: boolean) => [
      'vtysh',
      '-N',
      frr.pathspace,
      '-d',
      'bgpd',
      ...[
        'configure terminal',
        ROUTER_LINE,
        'address-family ipv4 unicast',
        `${no ? 'no ' : ''}network ${PREFIX}`,
        'exit-address-family',
        'exit',
        'end',
        'show running-config',
      ].flatMap((c) => ['-c', c]),
    ];
    for (const variant of VARIANTS) {
      if (variant.commands.length > 0)
        await frr.vtysh('configure terminal', ROUTER_LINE, ...variant.commands);
      const row: Row = { variant: variant.name, vtysh: [], bgpd: [] };
      for (let i = 0; i < runs; i++) {
        await runCommand(change(false));
        await waitAtRouter(control, PREFIX, true);
        await delay(200 + Math.random() * 200);
        const start = Date.now();
        await runCommand(change(true));
        const exited = Date.now();
        await waitAtRouter(control, PREFIX, false);
        const removed = birdRouteEvents(router, 'node1', 'removed', PREFIX).find((t) => t >= start);
        if (removed === undefined) throw new Error('BIRD logged no withdrawal');
        row.vtysh.push(exited - start);
        row.bgpd.push(removed - exited);
      }
      process.stderr.write(
        `${variant.name}: MRAI ${String(await mraiOf())} ms, vtysh median ${median([...row.vtysh].sort((a, b) => a - b))} ms, bgpd median ${median([...row.bgpd].sort((a, b) => a - b))} ms\n`,
      );
      rows.push(row);
    }
  } finally {
    await scope.run();
  }
  const fmt = (xs: number[]): string => {
    const { meanMs, seMs } = meanAndSe(xs);
    return `${median([...xs].sort((a, b) => a - b))} (${meanMs.toFixed(0)} ± ${seMs.toFixed(0)})`;
  };
  process.stdout.write(
    `${textTable([
      ['bgpd settings', 'n', 'vtysh run ms: median (mean ± se)', 'vtysh exit to router ms'],
      ...rows.map((r) => [r.variant, String(r.vtysh.length), fmt(r.vtysh), fmt(r.bgpd)]),
    ])}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
