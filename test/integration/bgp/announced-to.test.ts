// "Announced" in the Loc-RIB means nothing to a router that never got it: the speaker
// says to how many of its peers a prefix really went, and the daemon's status carries
// it per prefix (the dashboard and /v1/status show it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { BgpSpeaker } from '../../../src/bgp/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { Daemon } from '../../../src/daemon/index.js';
import { eventually } from '../../helpers/raw-peer.js';
import { bgpSection, collectedPrefixes, startCollector } from '../../helpers/loopback.js';

describe('to how many peers a prefix is announced', () => {
  let collector: BgpSpeaker;

  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  it('counts only established peers that were sent it, of every configured peer', async () => {
    // A second peer that never answers: the prefix is wanted, but it has not got it.
    const config = parseConfig(
      bgpSection(collector) +
        `[[bgp.peers]]
address = "127.0.0.3"
port = 9
asn = 65003
connect_retry = 5
[services.web]
prefixes = ["203.0.113.80"]
announce = "always"
`,
      'test.toml',
    );
    const daemon = new Daemon(config, { logger: pino({ level: 'silent' }) });
    await daemon.start();
    try {
      const peersOf = () => daemon.status().services[0]?.prefixes[0]?.peers;
      await eventually(() => collectedPrefixes(collector).length === 1, 'the route');
      await eventually(() => peersOf()?.sent === 1, 'one peer with it');
      assert.deepEqual(peersOf(), { sent: 1, of: 2 });
      // The only router that had it goes away: nobody has it, though it is still wanted.
      await collector.stop();
      await eventually(() => peersOf()?.sent === 0, 'no peer with it');
      assert.deepEqual(peersOf(), { sent: 0, of: 2 });
      assert.ok(daemon.status().routes.some((r) => r.prefix === '203.0.113.80/32'));
    } finally {
      await daemon.stop('test over');
      await collector.start();
    }
  });
});
