import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createSystemCheck,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
  systemCheck,
} from '../../../src/checks/system.js';
import { common, eventually, runOnce, tempDir } from './helpers.js';

function system(input: unknown, options: Parameters<typeof createSystemCheck>[2] = {}) {
  return createSystemCheck(systemCheck.schema.parse(input), common('system'), options);
}

const netdevHeader =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

function netdev(rx: number, tx: number): string {
  return (
    netdevHeader +
    `    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n` +
    `  eth0: ${rx}  5000    0    0    0     0          0         0 ${tx}  4000    0    0    0     0       0          0\n`
  );
}

describe('system check on the real /proc', () => {
  it('passes generous thresholds; the first run notes that rates have no baseline yet', async () => {
    const check = system({
      max_cpu_percent: 100,
      max_memory_percent: 100,
      interface: 'lo',
      max_rx_mbps: 1e6,
      max_tx_mbps: 1e6,
    });
    const first = await runOnce(check);
    assert.equal(first.ok, true, first.reason);
    assert.match(
      first.reason,
      /^cpu: no baseline yet, memory \d+(\.\d)?% \(max 100%\), lo: no baseline yet$/,
    );
    // Later runs judge CPU and traffic from the deltas (poll until a clock tick has passed).
    const later = await eventually(async () => {
      const result = await runOnce(check);
      return /cpu \d/.test(result.reason) ? result : undefined;
    }, 'a run with a CPU delta');
    assert.equal(later.ok, true, later.reason);
    assert.match(
      later.reason,
      /^cpu \d+(\.\d)?% \(max 100%\), memory \d+(\.\d)?% \(max 100%\), lo rx \d+(\.\d)? Mb\/s \(max 1000000 Mb\/s\), lo tx \d+(\.\d)? Mb\/s \(max 1000000 Mb\/s\)$/,
    );
  });

  it('fails with max_memory_percent = 0', async () => {
    const result = await runOnce(system({ max_memory_percent: 0 }));
    assert.equal(result.ok, false);
    assert.match(result.reason, /^memory \d+(\.\d)?% \(max 0%\)$/);
  });

  it('fails on an interface that does not exist', async () => {
    const result = await runOnce(system({ interface: 'nosuch0', max_rx_mbps: 10 }));
    assert.deepEqual(
      [result.ok, result.reason],
      [false, 'interface nosuch0 not found in /proc/net/dev'],
    );
  });
});

describe('system check arithmetic (fixture /proc, injected clock)', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir('proc');
    await mkdir(join(dir.path, 'net'));
  });
  after(async () => {
    await dir.remove();
  });

  async function proc(stat: string, meminfo: string, dev: string): Promise<void> {
    await writeFile(join(dir.path, 'stat'), stat);
    await writeFile(join(dir.path, 'meminfo'), meminfo);
    await writeFile(join(dir.path, 'net/dev'), dev);
  }

  it('computes CPU busy share from /proc/stat deltas (idle and iowait count as idle, guest not twice)', async () => {
    let now = 0;
    const check = system({ max_cpu_percent: 40 }, { procRoot: dir.path, now: () => now });
    await proc('cpu  100 0 100 700 100 0 0 0 50 0\ncpu0 1 1 1 1\n', '', '');
    assert.equal((await runOnce(check)).reason, 'cpu: no baseline yet');
    // +300 user, +100 system, +300 idle, +100 iowait; guest +100 is inside user already.
    await proc('cpu  400 0 200 1000 200 0 0 0 150 0\n', '', '');
    now = 5000;
    const busy = await runOnce(check);
    assert.deepEqual([busy.ok, busy.reason], [false, 'cpu 50% (max 40%)']);
  });

  it('computes rates in megabits per second over the time between runs', async () => {
    let now = 0;
    const check = system(
      { interface: 'eth0', max_rx_mbps: 50, max_tx_mbps: 50 },
      { procRoot: dir.path, now: () => now },
    );
    await proc('', '', netdev(1_000_000, 2_000_000));
    assert.equal((await runOnce(check)).reason, 'eth0: no baseline yet');
    await proc('', '', netdev(1_000_000 + 25_000_000, 2_000_000 + 2_500_000)); // in 2 s: 100 and 10 Mb/s
    now = 2000;
    const result = await runOnce(check);
    assert.deepEqual([result.ok, result.reason], [false, 'eth0 rx 100 Mb/s (max 50 Mb/s)']);
    // Counters that went backwards (interface re-created) reset the baseline instead of failing.
    await proc('', '', netdev(10, 10));
    now = 3000;
    const reset = await runOnce(check);
    assert.deepEqual([reset.ok, reset.reason], [true, 'eth0: no baseline yet']);
    now = 4000;
    const steady = await runOnce(check);
    assert.deepEqual(
      [steady.ok, steady.reason],
      [true, 'eth0 rx 0 Mb/s (max 50 Mb/s), eth0 tx 0 Mb/s (max 50 Mb/s)'],
    );
  });

  it('computes memory from MemAvailable over MemTotal', async () => {
    await proc(
      '',
      'MemTotal:        1000 kB\nMemFree:          100 kB\nMemAvailable:     250 kB\n',
      '',
    );
    const result = await runOnce(system({ max_memory_percent: 80 }, { procRoot: dir.path }));
    assert.deepEqual([result.ok, result.reason], [true, 'memory 75% (max 80%)']);
  });

  it('fails when /proc cannot be read or parsed', async () => {
    const missing = await runOnce(
      system({ max_cpu_percent: 50 }, { procRoot: join(dir.path, 'nowhere') }),
    );
    assert.equal(missing.ok, false);
    assert.match(missing.reason, /^cannot read \/proc: .*ENOENT/);
    await proc('intr 1 2 3\n', 'MemFree: 5 kB\n', '');
    const garbled = await runOnce(
      system({ max_cpu_percent: 50, max_memory_percent: 50 }, { procRoot: dir.path }),
    );
    assert.deepEqual(
      [garbled.ok, garbled.reason],
      [false, 'cannot parse /proc/stat; cannot parse /proc/meminfo'],
    );
  });

  it('parsers read the right fields', () => {
    assert.deepEqual(parseProcStat('cpu  1 2 3 4 5 6 7 8 9 10\n'), { total: 36, idle: 9 });
    assert.equal(parseProcStat('cpu0 1 2 3 4\n'), undefined);
    assert.equal(parseMeminfo('MemTotal: 200 kB\nMemAvailable: 50 kB\n'), 75);
    assert.deepEqual(parseNetDev(netdev(7, 9), 'eth0'), { rxBytes: 7, txBytes: 9 });
    assert.equal(parseNetDev(netdev(7, 9), 'eth'), undefined);
  });
});
