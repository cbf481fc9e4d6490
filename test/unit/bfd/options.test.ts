import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BFD_DEFAULTS } from '../../../src/bfd/index.js';
import { parseBgpSettings } from '../../../src/bgp/index.js';
import { IssueList } from '../../../src/validation/index.js';

function parse(bfd: unknown) {
  const issues = new IssueList();
  const bgp = parseBgpSettings(
    { asn: 65001, router_id: '198.18.0.1', peers: [{ address: '198.18.0.2', asn: 65000, bfd }] },
    issues,
  );
  return { peer: bgp?.peers[0], messages: issues.items.map((i) => `${i.path}: ${i.message}`) };
}

describe('bgp.peers[].bfd', () => {
  it('true gives the defaults, false or absent none', () => {
    assert.deepEqual(parse(true).peer?.bfd, BFD_DEFAULTS);
    assert.deepEqual(BFD_DEFAULTS, { minRx: 0.3, minTx: 0.3, multiplier: 3, required: false });
    assert.equal(parse(false).peer?.bfd, undefined);
    assert.equal(parse(undefined).peer?.bfd, undefined);
  });

  it('a table fills in what it leaves out', () => {
    assert.deepEqual(parse({ min_rx: 0.1, required: true }).peer?.bfd, {
      minRx: 0.1,
      minTx: 0.3,
      multiplier: 3,
      required: true,
    });
  });

  it('names the key of a bad value', () => {
    const { peer, messages } = parse({ min_rx: 0, multiplier: 300 });
    assert.equal(peer, undefined);
    assert.ok(
      messages.some((m) => m.startsWith('bgp.peers[0].bfd.min_rx: ')),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('bgp.peers[0].bfd.multiplier: ')),
      messages.join('\n'),
    );
  });

  it('names an unknown key', () => {
    const { messages } = parse({ min_rxx: 0.1 });
    assert.ok(
      messages.some((m) => m.includes('bgp.peers[0].bfd')),
      messages.join('\n'),
    );
  });
});
