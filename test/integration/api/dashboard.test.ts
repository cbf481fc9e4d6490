/**
 * The dashboard in headless Chromium, served by a real API in front of a real
 * Daemon checking a real HTTP service and announcing to our BGP collector on
 * loopback. Needs Debian's chromium (/usr/bin/chromium): skipped without it,
 * except under CI=true where that fails.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { BrowserContext } from 'playwright-core';
import { ApiServer, DrainStore, Metrics } from '../../../src/api/index.js';
import { TransitionLog } from '../../../src/api/dashboard-transitions.js';
import { BgpSpeaker } from '../../../src/bgp/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { Daemon } from '../../../src/daemon/index.js';
import {
  CHROMIUM,
  TEST_OUTPUT as OUTPUT,
  launchChromium,
  pageShows,
} from '../../helpers/browser.js';
import { eventually } from '../../helpers/raw-peer.js';
import {
  ToggleService,
  bgpSection,
  collectedPrefixes,
  startCollector,
} from '../../helpers/loopback.js';

const TOKEN = 'dashboard-token';
const haveChromium = existsSync(CHROMIUM);
const skip =
  !haveChromium && process.env.CI !== 'true' ? `no ${CHROMIUM} (apt-get install chromium)` : false;

const link = {
  state: 'idle',
  queued: 0,
  sent: 0,
  batches: 0,
  failures: 0,
  refused: 0,
  healthy: true,
  resent: 0,
  dropped: 0,
} as const;

describe('dashboard in headless Chromium', { skip }, () => {
  const web = new ToggleService();
  let collector: BgpSpeaker;
  let dir = '';
  let daemon: Daemon;
  let api: ApiServer;
  let context: BrowserContext;

  before(async () => {
    assert.ok(haveChromium, `${CHROMIUM} is missing (CI=true): apt-get install chromium`);
    await web.start();
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-dashboard-'));
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    collector = await startCollector();
    const config = parseConfig(
      `${bgpSection(collector)}
[services.web]
prefixes = ["203.0.113.80", "2001:db8::80"]
checks.http = [{ name = "health", url = "http://127.0.0.1:${web.port}/", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
`,
      'dashboard-test.toml',
    );
    const store = new DrainStore(join(dir, 'state'));
    await store.load();
    const metrics = new Metrics(() => daemon.status());
    const transitions = new TransitionLog();
    daemon = new Daemon(config, {
      logger: pino({ level: 'silent' }),
      drained: store.reasons(),
      onTransition: (t) => {
        metrics.onTransition(t);
        transitions.record(t);
      },
    });
    await daemon.start();
    api = new ApiServer({
      daemon,
      store,
      metrics,
      transitions,
      logger: pino({ level: 'silent' }),
      listen: { host: '127.0.0.1', port: 0 },
      socket: false,
      tokenFile,
      node: 'dashboard-node',
      // A node with [directors]: one director that answers, one that does not.
      directors: () => ({
        name: 'dashboard-node',
        instance: 'i-1',
        generation: 3,
        directors: [
          {
            ...link,
            url: 'http://198.51.100.7:9190/',
            peer: 'dir-a',
            sent: 12,
            healthy: true,
            lastSentAt: Date.now() - 4000,
          },
          {
            ...link,
            url: 'http://198.51.100.8:9190/',
            failures: 4,
            healthy: false,
            lastError: 'connect ECONNREFUSED',
          },
        ],
      }),
    });
    await api.start();
    context = await launchChromium(dir);
  });

  after(async () => {
    await context?.close();
    await api?.stop();
    await daemon?.stop('test over');
    await collector?.stop();
    await web.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const routes = (): string[] => collectedPrefixes(collector);

  it('shows the service live, and drains and undrains it with the token', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // The first POST's 401 (no token yet) is expected; Chromium logs it.
      if (message.type() === 'error' && !/status of 401/.test(message.text()))
        errors.push(message.text());
    });
    const prompts: string[] = [];
    page.on('dialog', (dialog) => {
      prompts.push(dialog.message());
      void dialog.accept(/token/i.test(dialog.message()) ? TOKEN : 'dashboard <b>test</b>');
    });

    const port = api.tcpAddress?.port ?? 0;
    const response = await page.goto(`http://127.0.0.1:${port}/`);
    assert.equal(response?.status(), 200);
    assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'none'/);
    await eventually(() => routes().length === 2, 'the routes');
    const state = 'tr[data-service="web"] [data-field="state"]';
    await pageShows(page, state, /^up$/, 'the service up');
    await pageShows(page, '#node', /^dashboard-node$/, 'the node name');
    await pageShows(page, '#peers', /established/, 'the peer established');
    await pageShows(
      page,
      '#prefixes',
      /203\.0\.113\.80\/32bgpyes, to 1 of 1 peers/,
      'the prefix announced, and to how many routers',
    );
    await pageShows(
      page,
      '#peers',
      /up \d+s, since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
      'since when, absolute',
    );
    await pageShows(
      page,
      '#directors tr:nth-child(1)',
      /^dir-ahttp:\/\/198\.51\.100\.7:9190\/reachable12\d+s ago, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC00$/,
      'a director reachable',
    );
    await pageShows(
      page,
      '#directors tr:nth-child(2)',
      /failing0never4: connect ECONNREFUSED0$/,
      'a director failing',
    );
    await pageShows(page, '#addresses', /^no addresses managed$/, 'no addresses here');
    await pageShows(page, '#announcers', /^bgpin-sync2\/2 ?0/, 'the embedded speaker in sync');

    web.healthy = false;
    await pageShows(page, state, /^down$/, 'the service down');
    await eventually(() => routes().length === 0, 'the withdrawal when down');
    await pageShows(page, '#transitions', /up → down/, 'the transition to down');
    await pageShows(
      page,
      '#transitions',
      /^\d+s ago, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(.* local\)web/,
      'when, relative and absolute',
    );
    web.healthy = true;
    await pageShows(page, state, /^up$/, 'the service up again');
    await eventually(() => routes().length === 2, 'the routes again');

    await page.click('button[data-service="web"][data-action="drain"]');
    await pageShows(page, state, /^drained$/, 'the service drained');
    await eventually(() => routes().length === 0, 'the withdrawal at the collector');
    assert.equal(daemon.status().services[0]?.state, 'drained');
    // The reason went into the DOM as text, never as markup.
    await pageShows(page, 'tr[data-service="web"]', /dashboard <b>test<\/b>/, 'the reason');
    assert.equal(await page.locator('#services b').count(), 0);
    assert.equal(prompts.length, 2, `a reason, then the token after a 401: ${prompts.join(' | ')}`);
    assert.match(prompts[1] ?? '', /token/i);
    const points = await page.locator('#checks svg polyline').first().getAttribute('points');
    assert.ok((points ?? '').split(' ').length >= 3, `sparkline points: ${points}`);

    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });

    await page.click('button[data-service="web"][data-action="undrain"]');
    await pageShows(page, state, /^up$/, 'the service up after the undrain');
    await eventually(() => routes().length === 2, 'the routes after the undrain');
    assert.equal(prompts.length, 2, 'the token is kept in sessionStorage');
    await pageShows(page, '#transitions', /drained → /, 'the undrain transition');
    assert.deepEqual(errors, []);
    await page.close();
  });

  // Runs last: it stops the API.
  it('greys out everything under a banner when the daemon stops answering', async () => {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${api.tcpAddress?.port ?? 0}/`);
    const state = 'tr[data-service="web"] [data-field="state"]';
    await pageShows(page, state, /^up$/, 'the service up');
    assert.equal(await page.locator('#stale').isVisible(), false, 'no banner while answering');
    await api.stop();
    await pageShows(
      page,
      '#stale',
      /^Cannot reach the daemon since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC .*ago: everything below is from before then/,
      'the stale banner',
    );
    assert.ok(await page.locator('#stale').isVisible(), 'the banner is shown');
    // Runs in the page: `window` there, not a Node global (tsconfig has no DOM lib).
    const opacity = await page
      .locator('main')
      .evaluate(
        (m) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { opacity: string } }
          ).getComputedStyle(m).opacity,
      );
    assert.ok(Number(opacity) < 1, `the stale data is greyed out (opacity ${opacity})`);
    // The last data is still there to read, but marked: the state cell is inside <main>.
    assert.equal(await page.locator(`main ${state}`).textContent(), 'up');
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard-stale.png'), fullPage: true });
    await page.close();
  });
});
