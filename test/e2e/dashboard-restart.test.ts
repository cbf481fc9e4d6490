/**
 * The dashboard in headless Chromium for what the in-process dashboard test cannot show
 * without root: an anycast address really bound (in a lab namespace, by the daemon's own
 * address manager), and the transition history read back from `state_dir` after the
 * daemon restarts, so the last minutes before a crash or restart are still on the page.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { ApiServer, DrainStore, Metrics } from '../../src/api/index.js';
import { TRANSITIONS_FILE, TransitionLog } from '../../src/api/dashboard-transitions.js';
import type { BgpSpeaker } from '../../src/bgp/index.js';
import { parseConfig } from '../../src/config/index.js';
import { Daemon } from '../../src/daemon/index.js';
import { CHROMIUM, TEST_OUTPUT as OUTPUT, launchChromium, pageShows } from '../helpers/browser.js';
import { eventually } from '../helpers/raw-peer.js';
import {
  ToggleService,
  bgpSection,
  collectedPrefixes,
  startCollector,
} from '../helpers/loopback.js';
import { Lab, requireLab, type Namespace } from '../lab/index.js';
import { kernelAddresses, nsIp } from './addresses/kernel.js';

const ADDRESS = '203.0.113.82';

/** One run of the node: a daemon binding its address in `ns`, its API, its history file. */
async function startNode(collector: BgpSpeaker, web: ToggleService, ns: Namespace, dir: string) {
  const config = parseConfig(
    `${bgpSection(collector)}
[services.web]
prefixes = ["${ADDRESS}"]
addresses = ["${ADDRESS}"]
checks.http = [{ name = "health", url = "http://127.0.0.1:${web.port}/", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
`,
    'dashboard-restart-test.toml',
  );
  const logger = pino({ level: 'silent' });
  const store = new DrainStore(dir);
  await store.load();
  const transitions = new TransitionLog({ file: join(dir, TRANSITIONS_FILE), logger });
  await transitions.load();
  // Read only once the daemon exists: the metrics ask for its status when scraped.
  const metrics = new Metrics(() => daemon.status());
  const daemon = new Daemon(config, {
    logger,
    drained: store.reasons(),
    ip: nsIp(ns),
    onTransition: (t) => {
      metrics.onTransition(t);
      transitions.record(t);
    },
  });
  await daemon.start();
  const api = new ApiServer({
    daemon,
    store,
    metrics,
    transitions,
    logger,
    listen: { host: '127.0.0.1', port: 0 },
    socket: false,
    node: 'restart-node',
  });
  await api.start();
  let stopped: Promise<void> | undefined;
  return {
    daemon,
    url: `http://127.0.0.1:${api.tcpAddress?.port ?? 0}/`,
    /** Once, however often it is called (the test's own restart, then its cleanup). */
    stop(): Promise<void> {
      stopped ??= (async () => {
        await api.stop();
        await daemon.stop('test restart');
        await transitions.flushed();
      })();
      return stopped;
    },
  };
}

test(
  'the dashboard shows a bound address, and the history from before a restart',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t))) return;
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing (CI=true)`);
      t.skip(`no ${CHROMIUM} (apt-get install chromium)`);
      return;
    }
    // Undone last-in first-out: the node stops before its namespace goes.
    const undo: (() => Promise<unknown>)[] = [];
    t.after(async () => {
      for (const step of undo.reverse()) await step();
    });
    const lab = await Lab.create();
    undo.push(() => lab.teardown());
    const ns = await lab.namespace('node');
    const web = new ToggleService();
    await web.start();
    undo.push(() => web.stop());
    const collector = await startCollector();
    undo.push(() => collector.stop());
    const stateDir = join(lab.dir, 'state');
    await mkdir(stateDir, { recursive: true });
    const context = await launchChromium(lab.dir);
    undo.push(() => context.close());
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const onLo = (): Promise<string[]> => kernelAddresses(ns, 'lo');
    const state = 'tr[data-service="web"] [data-field="state"]';

    let node = await startNode(collector, web, ns, stateDir);
    undo.push(() => node.stop());
    await page.goto(node.url);
    await pageShows(page, state, /^up$/, 'the service up');
    await eventually(() => collectedPrefixes(collector).length === 1, 'the route');
    assert.ok((await onLo()).includes(`${ADDRESS}/32`), 'the address is on lo in the namespace');
    await pageShows(
      page,
      '#addresses tr',
      new RegExp(`^${ADDRESS.replaceAll('.', '\\.')}/32lowebboundthis daemon$`),
      'the address bound, by this daemon',
    );

    web.healthy = false;
    await pageShows(page, '#transitions', /web.*up → down/, 'the transition to down');
    web.healthy = true;
    await pageShows(page, state, /^up$/, 'the service up again');
    const before = node.daemon.status().services[0]?.state;
    assert.equal(before, 'up');
    await node.stop();

    // The next run: a new process would read the same state_dir.
    const first = node;
    node = await startNode(collector, web, ns, stateDir);
    undo.push(() => first.stop());
    await page.goto(node.url);
    await pageShows(page, state, /^up$/, 'the service up after the restart');
    // The down and up from before the restart are still listed (newest first).
    await pageShows(
      page,
      '#transitions',
      /web\s*down → up.*web\s*up → down/,
      'the history from before the restart',
    );
    await pageShows(
      page,
      '#addresses tr',
      new RegExp(`^${ADDRESS.replaceAll('.', '\\.')}/32lowebbound`),
      'the address bound after the restart',
    );
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard-restart.png'), fullPage: true });
    assert.deepEqual(errors, []);
  },
);
