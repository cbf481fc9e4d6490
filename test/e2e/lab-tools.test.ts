/**
 * Self-tests of the lab pieces the e2e tests and bench/failover.ts stand on: the breakable
 * HTTP service (on the host's loopback, no root) and ExaBGP with its healthcheck program
 * announcing to BIRD (namespaces, root).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HttpService, Lab, requireLab } from '../lab/index.js';
import { ROUTER_AS, NODE_AS, routerConf, waitForPaths } from './harness.js';

/** GET url: the status, or the error code when there is no answer. */
function get(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
      response.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

test('the HTTP service breaks and mends in each mode', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ag-http-service-'));
  const service = new HttpService(dir, undefined);
  t.after(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await service.start();
  assert.match(service.url, /^http:\/\/127\.0\.0\.1:\d+\/health$/);
  assert.equal(await get(service.url), 200);

  const refused = await service.break('refuse');
  assert.equal(refused.stats.healthy, false);
  assert.equal(await get(service.url), 'ECONNREFUSED');
  const mended = await service.mend();
  assert.ok(mended.at >= refused.at);
  assert.equal(await get(service.url), 200);

  const erroring = await service.break('error');
  assert.equal(erroring.stats.firstFailAt, undefined);
  assert.equal(await get(service.url), 503);
  const failedAt = (await service.stats()).firstFailAt;
  assert.ok(failedAt !== undefined && failedAt >= erroring.at, 'first failed answer recorded');
  assert.equal(await get(service.url), 503);
  assert.equal((await service.stats()).firstFailAt, failedAt, 'only the first one');
  await service.mend();
  assert.equal(await get(service.url), 200);

  await service.break('hang');
  const hanging = get(service.url);
  // The server holds the request unanswered until mended, then drops it.
  for (;;) {
    if ((await service.stats()).hung === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await service.mend();
  assert.equal(await hanging, 'ECONNRESET');
  assert.equal(await get(service.url), 200);

  const stats = await service.stats();
  assert.deepEqual(
    { healthy: stats.healthy, ok: stats.ok, errors: stats.errors, hung: stats.hung },
    { healthy: true, ok: 4, errors: 2, hung: 1 },
  );
  await assert.rejects(service.mend(), /not broken/);
});

test('ExaBGP with its healthcheck announces to BIRD while the service answers', async (t) => {
  if (!(await requireLab(t, ['bird', 'exabgp']))) return;
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const routerNs = await lab.namespace('router');
  const node = await lab.namespace('node1');
  const link = await lab.link(node, routerNs);
  const router = await lab.startBird(routerNs, routerConf([link]));
  const control = await router.control();
  t.after(() => control.close());
  const service = await lab.startHttpService(node, { port: 8080 });
  const exabgp = await lab.startExabgp(node, {
    neighbor: {
      address: link.b.ipv4,
      localAddress: link.a.ipv4,
      routerId: link.a.ipv4,
      localAs: NODE_AS,
      peerAs: ROUTER_AS,
    },
    healthcheck: {
      interval: 0.2,
      rise: 1,
      fall: 1,
      ips: ['203.0.113.80/32'],
      command: `curl -sf -o /dev/null --max-time 1 ${service.url}`,
      extraArgs: ['--no-syslog'],
    },
  });
  const prefix = '203.0.113.80/32';
  const is = (want: string[]) => (paths: string[]) => paths.join() === want.join();
  await waitForPaths(control, prefix, is(['node1']), 'announced by ExaBGP');
  const route = await router.route(prefix);
  assert.deepEqual(route?.asPath, [NODE_AS]);
  assert.equal(route?.nextHop, link.a.ipv4);
  await service.break('refuse');
  await waitForPaths(control, prefix, is([]), 'withdrawn by ExaBGP');
  assert.equal((await router.peer('node1')).state, 'established');
  await service.mend();
  await waitForPaths(control, prefix, is(['node1']), 'announced again');
  assert.ok((await service.stats()).ok > 0, 'curl reached the service');
  await exabgp.stop();
  assert.ok(exabgp.process.exited);
});
