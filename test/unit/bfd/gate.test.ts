import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyChanges,
  BfdDiag,
  holdsBgpDown,
  INITIAL_GATE,
  type BfdStateChange,
} from '../../../src/bfd/index.js';

const up: BfdStateChange[] = [
  { from: 'down', to: 'init', diag: 0, remoteState: 'down' },
  { from: 'init', to: 'up', diag: 0, remoteState: 'up' },
];

describe('BFD holding BGP down (RFC 5882 3.2)', () => {
  it('a router that never answers holds nothing, unless required', () => {
    assert.equal(holdsBgpDown(INITIAL_GATE, 'down', false), false);
    assert.equal(holdsBgpDown(INITIAL_GATE, 'down', true), true);
    assert.equal(holdsBgpDown(INITIAL_GATE, undefined, true), true);
  });

  it('Up, then the detection time expires: held until Up again', () => {
    let gate = applyChanges(INITIAL_GATE, up);
    assert.equal(holdsBgpDown(gate, 'up', false), false);
    gate = applyChanges(gate, [
      { from: 'up', to: 'down', diag: BfdDiag.ControlDetectionTimeExpired, remoteState: 'up' },
    ]);
    assert.equal(holdsBgpDown(gate, 'down', false), true);
    gate = applyChanges(gate, [{ from: 'down', to: 'init', diag: 0, remoteState: 'down' }]);
    assert.equal(holdsBgpDown(gate, 'init', false), true, 'Init is not Up');
    gate = applyChanges(gate, [{ from: 'init', to: 'up', diag: 0, remoteState: 'up' }]);
    assert.equal(holdsBgpDown(gate, 'up', false), false);
    assert.deepEqual(
      { transitions: gate.transitions, flaps: gate.flaps, lastDiag: gate.lastDiag },
      { transitions: 5, flaps: 1, lastDiag: BfdDiag.ControlDetectionTimeExpired },
    );
  });

  it('the router saying Down holds; the router saying AdminDown does not', () => {
    const gate = applyChanges(INITIAL_GATE, up);
    const down = applyChanges(gate, [
      { from: 'up', to: 'down', diag: BfdDiag.NeighborSignaledSessionDown, remoteState: 'down' },
    ]);
    assert.equal(holdsBgpDown(down, 'down', false), true);
    const turnedOff = applyChanges(gate, [
      {
        from: 'up',
        to: 'down',
        diag: BfdDiag.NeighborSignaledSessionDown,
        remoteState: 'admin-down',
      },
    ]);
    assert.equal(holdsBgpDown(turnedOff, 'down', false), false);
    assert.equal(turnedOff.flaps, 1);
    // With `required`, even AdminDown holds: BGP waits for BFD.
    assert.equal(holdsBgpDown(turnedOff, 'down', true), true);
  });
});
