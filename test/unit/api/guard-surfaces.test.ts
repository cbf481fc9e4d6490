// A guarded service where operators look: /v1/status's services[].guard, the status
// table's line, /metrics, the dashboard's state cell (its script run against a small
// fake DOM; the Chromium check is the e2e suite's), and the node's ad.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { Metrics, statusView } from '../../../src/api/index.js';
import { DASHBOARD_HTML } from '../../../src/api/dashboard-page.js';
import { describeGuard, renderStatus } from '../../../src/cli/status.js';
import type { DaemonStatus } from '../../../src/daemon/index.js';
import { servicesOf } from '../../../src/node-ads/index.js';

const now = 1_700_000_000_000;
const fleet = { announcing: 2, total: 5, min: 2, answered: 3, granted: 0, known: 3 };
const guardReason = '3 of 3 directors refused a withdrawal permit: 2 announcing, min 2';
const reason = `0/1 checks up (policy all); upstream: HTTP 503 (2 failures in a row); ${guardReason}`;

const daemonStatus: DaemonStatus = {
  services: [
    {
      name: 'dns',
      state: 'guarded',
      since: now - 7_000,
      reason,
      checks: [],
      everUp: true,
      guard: { reason: guardReason, since: now - 7_000, fleet },
      prefixes: [{ announcer: 'bgp', prefix: '203.0.113.53/32' }],
    },
    {
      name: 'web',
      state: 'up',
      since: now - 9_000,
      reason: '1/1 checks up',
      checks: [],
      everUp: true,
      prefixes: [{ announcer: 'bgp', prefix: '203.0.113.80/32' }],
    },
  ],
  routes: [
    {
      announcer: 'bgp',
      prefix: '203.0.113.53/32',
      services: ['dns'],
      degraded: true,
      draining: false,
      guarded: true,
      attributes: { communities: ['65535:0'] },
    },
  ],
  peers: [],
  addresses: [],
  announcers: [{ kind: 'bgp', state: 'in-sync', wanted: 1, applied: 1, failures: 0 }],
};

describe('a guarded service in every surface', () => {
  it('/v1/status: state guarded, and guard with the fleet count, reason and since', () => {
    const view = statusView(daemonStatus, 'edge-1', () => undefined, now);
    const dns = view.services[0];
    assert.equal(dns?.state, 'guarded');
    assert.deepEqual(dns?.guard, { ...fleet, reason: guardReason, since: now - 7_000 });
    assert.equal(dns?.prefixes[0]?.announced, true);
    assert.equal(view.services[1]?.guard, undefined);
  });

  it('anycast-guard status: the state, and a line with the fleet count', () => {
    const text = renderStatus(
      statusView(daemonStatus, 'edge-1', () => undefined, now),
      now,
    );
    assert.match(text, /^dns +guarded +7s +1\/1 +0\/1 checks up/m);
    assert.match(
      text,
      /^ {2}! guarded \(2 of 5 announcing, min 2\): 3 of 3 directors refused a withdrawal p…$/m,
    );
    for (const line of text.split('\n')) assert.ok(line.length <= 80, line);
    assert.equal(
      describeGuard({ reason: 'no director answered (3 known): holding', since: now }),
      'guarded (no director answered): no director answered (3 known): holding',
    );
  });

  it('/metrics: anycast_guard_service_guarded and the state gauge', async () => {
    const text = await new Metrics(() => daemonStatus).render();
    assert.match(text, /^anycast_guard_service_guarded\{service="dns"\} 1$/m);
    assert.match(text, /^anycast_guard_service_guarded\{service="web"\} 0$/m);
    assert.match(text, /^anycast_guard_service_state\{service="dns",state="guarded"\} 1$/m);
    assert.match(text, /^anycast_guard_service_state\{service="web",state="guarded"\} 0$/m);
    assert.match(text, /^anycast_guard_service_up\{service="dns"\} 0$/m);
  });

  it('the node ad lists it as guarded', () => {
    const ads = servicesOf(daemonStatus);
    assert.deepEqual(
      ads.map((s) => [s.name, s.state]),
      [
        ['dns', 'guarded'],
        ['web', 'up'],
      ],
    );
  });

  it('the dashboard: a warning-styled state cell with the fleet count', async () => {
    const view = statusView(daemonStatus, 'edge-1', () => undefined, now);
    const dom = runDashboard(view);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const rows = dom.byId('services').children;
    assert.equal(rows.length, 2);
    const state = rows[0]?.children[1]?.children[0];
    assert.equal(state?.className, 'state guarded');
    assert.equal(state?.textContent, 'guarded (2 of 5 announcing, min 2)');
    assert.equal(rows[0]?.children[3]?.textContent, reason);
    assert.equal(rows[1]?.children[1]?.children[0]?.className, 'state up');
    assert.match(DASHBOARD_HTML, /\.state\.guarded[^{]*\{ color: var\(--warn\); \}/);
  });
});

/** Just enough DOM for the dashboard's render(). */
class FakeNode {
  children: FakeNode[] = [];
  className = '';
  colSpan = 0;
  readonly dataset: Record<string, string> = {};
  readonly classList = { add: (): void => undefined, remove: (): void => undefined };
  private text = '';
  constructor(readonly tagName: string) {}
  get textContent(): string {
    return this.children.length > 0 ? this.children.map((c) => c.textContent).join('') : this.text;
  }
  set textContent(value: string) {
    this.text = String(value);
    this.children = [];
  }
  get firstChild(): FakeNode | undefined {
    return this.children[0];
  }
  appendChild(child: FakeNode): FakeNode {
    this.children.push(child);
    return child;
  }
  replaceChildren(): void {
    this.children = [];
  }
  addEventListener(): void {}
  setAttribute(): void {}
}

function runDashboard(status: unknown): { byId: (id: string) => FakeNode } {
  const script = /<script>([\s\S]*)<\/script>/.exec(DASHBOARD_HTML)?.[1];
  assert.ok(script !== undefined);
  const nodes = new Map<string, FakeNode>();
  const byId = (id: string): FakeNode => {
    let node = nodes.get(id);
    if (node === undefined) {
      node = new FakeNode('div');
      nodes.set(id, node);
    }
    return node;
  };
  const document = {
    getElementById: byId,
    createElement: (tag: string) => new FakeNode(tag),
    createElementNS: (_ns: string, tag: string) => new FakeNode(tag),
    body: new FakeNode('body'),
  };
  runInNewContext(script, {
    document,
    window: {},
    Node: FakeNode,
    sessionStorage: { getItem: () => null, setItem: () => undefined },
    setInterval: () => 0,
    fetch: (path: string) =>
      Promise.resolve({
        ok: true,
        json: () => Promise.resolve(path === '/v1/status' ? status : { transitions: [] }),
      }),
  });
  return { byId };
}
