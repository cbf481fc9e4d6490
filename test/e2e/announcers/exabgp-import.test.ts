/**
 * ExaBGP healthcheck lines converted by the importer (anycast-guard import
 * exabgp-healthcheck) and run for real: ExaBGP 4.2 runs anycast-guard with the converted
 * configuration (exabgp-lab.ts), a BIRD router hears it. Checked at the router:
 *
 * - `--up-metric 50 --down-metric 900 --community 65001:80 --as-path "65001 65001"` (no
 *   --withdraw-on-down): the route carries MED 50, the community and the path while up, MED 900 and the community while the
 *   command fails and while the --disable file exists, MED 50 again after;
 * - `--withdraw-on-down`: the route goes while the command fails and comes back;
 * - `--interval 1` with ExaBGP's default `--timeout 5` is accepted and runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireLab, waitFor } from '../../lab/index.js';
import { argsFromCommandLine, convertExabgpHealthcheck } from '../../../src/import/index.js';
import type { Node } from '../harness.js';
import { waitAtRouter } from './gobgp-lab.js';
import { exabgpLab } from './exabgp-lab.js';

const WEB = '203.0.113.80/32';
const API = '203.0.113.81/32';

function healthcheck(line: string): { where: string; text: string; args: readonly string[] } {
  const args = argsFromCommandLine([line]);
  assert.ok(args !== undefined, line);
  return { where: 'test', text: line, args };
}

function config(node: Node, apiUrl: string, disableFile: string): string {
  const converted = convertExabgpHealthcheck({
    lines: [
      healthcheck(
        `python3 -m exabgp healthcheck --name web --cmd "curl -sf --max-time 1 ${node.service.url}" --ip ${WEB} --interval 1 --fast-interval 0.2 --rise 2 --fall 2 --up-metric 50 --down-metric 900 --community 65001:80 --as-path '65001 65001' --disable ${disableFile} --no-ip-setup`,
      ),
      healthcheck(
        `python3 -m exabgp healthcheck --name api --cmd "curl -sf --max-time 1 ${apiUrl}" --ip ${API} --interval 1 --rise 1 --fall 1 --withdraw-on-down --no-ip-setup`,
      ),
    ],
  });
  assert.equal(converted.errors, 0, converted.toml);
  assert.equal(converted.services, 2);
  return `${converted.toml}
[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"

[log]
level = "debug"
`;
}

test(
  'healthcheck lines converted by the importer drive ExaBGP: up and down MEDs, community, disable file, withdraw-on-down',
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'exabgp']))) return;
    const apiUrl = 'http://127.0.0.1:8081/health';
    let disableFile = '';
    const { lab, node, router, control } = await exabgpLab(t, (n) => {
      disableFile = join(n.apiDir, '..', 'web.disable');
      return config(n, apiUrl, disableFile);
    });
    const api = await lab.startHttpService(node.ns, { port: 8081, name: 'api' });
    assert.equal(api.url, apiUrl);

    const withMed = (med: number) =>
      waitFor(() => router.route(WEB), {
        what: `${WEB} with MED ${med}`,
        until: (r) => r?.med === med,
        timeoutMs: 20_000,
      });

    // Up: --up-metric and --community.
    const up = await withMed(50);
    assert.deepEqual(up?.communities, ['65001:80']);
    assert.deepEqual(up?.asPath, [65001, 65001], '--as-path "65001 65001": prepend 1');
    await waitAtRouter(control, API, true);

    // The command fails: still announced (no --withdraw-on-down), with --down-metric.
    await node.service.break('refuse');
    const down = await withMed(900);
    assert.deepEqual(down?.communities, ['65001:80']);
    await node.service.mend();
    await withMed(50);

    // The disable file: down while it exists.
    writeFileSync(disableFile, '');
    await withMed(900);
    rmSync(disableFile);
    await withMed(50);

    // --withdraw-on-down: withdrawn while failing, back after.
    await api.break('refuse');
    await waitAtRouter(control, API, false);
    await api.mend();
    await waitAtRouter(control, API, true);
  },
);
