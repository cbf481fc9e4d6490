// BFD where operators look: the status table's line under the peer and /metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerStatus } from '../../../src/bgp/index.js';
import type { BfdPeerStatus } from '../../../src/bfd/index.js';
import { Metrics } from '../../../src/api/metrics.js';
import { describeBfd, renderStatus } from '../../../src/cli/status.js';

const now = 1_700_000_000_000;
const bfd: BfdPeerStatus = {
  state: 'up',
  remoteState: 'up',
  answering: true,
  required: false,
  holdsBgpDown: false,
  localDiscriminator: 7,
  remoteDiscriminator: 9,
  minTxMs: 100,
  minRxMs: 100,
  multiplier: 3,
  txIntervalMs: 100,
  rxIntervalMs: 100,
  detectionTimeMs: 300,
  remoteMultiplier: 3,
  lastDiagnostic: 'control detection time expired',
  since: now - 1000,
  transitions: 5,
  flaps: 1,
};
const peer: PeerStatus = {
  name: 'router',
  address: '198.18.0.2',
  port: 179,
  asn: 65000,
  state: 'established',
  since: now - 5000,
  exportProblems: [],
  prefixesAnnounced: 1,
  prefixesReceived: 0,
  updatesSent: 1,
  updatesReceived: 0,
  establishedCount: 2,
  bfd,
};

describe('BFD in status and metrics', () => {
  it('puts a BFD line under the peer', () => {
    const text = renderStatus(
      {
        node: 'edge-1',
        time: now,
        services: [],
        peers: [{ ...peer, prefixesSent: 1 }],
        addresses: [],
        announcers: [],
      },
      now,
    );
    assert.match(
      text,
      /^ {2}BFD up, tx\/rx 100\/100 ms x 3, 1 flap, last: control detection time expired$/m,
    );
    assert.equal(
      describeBfd({
        ...bfd,
        state: 'down',
        answering: false,
        flaps: 0,
        lastDiagnostic: undefined,
      }),
      'BFD down, the router is not answering, 0 flaps',
    );
  });

  it('exports anycast_guard_bfd_state and the transition counter', async () => {
    const status = { services: [], routes: [], peers: [peer], addresses: [], announcers: [] };
    const text = await new Metrics(() => status).render();
    const labels = 'peer="router",address="198.18.0.2"';
    assert.match(text, new RegExp(`^anycast_guard_bfd_state\\{${labels},state="up"\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^anycast_guard_bfd_state\\{${labels},state="down"\\} 0$`, 'm'));
    assert.match(text, new RegExp(`^anycast_guard_bfd_transitions_total\\{${labels}\\} 5$`, 'm'));
    assert.match(text, new RegExp(`^anycast_guard_bfd_flaps_total\\{${labels}\\} 1$`, 'm'));
    assert.match(
      text,
      new RegExp(`^anycast_guard_bfd_detection_time_seconds\\{${labels}\\} 0.3$`, 'm'),
    );
  });
});
