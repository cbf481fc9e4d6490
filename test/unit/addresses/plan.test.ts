import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAddress } from '../../../src/addresses/index.js';
import type {
  AddressDecision,
  AddressManagement,
  AddressOwner,
  AddressPhase,
} from '../../../src/addresses/index.js';

type Row = [
  management: AddressManagement,
  present: boolean,
  wanted: boolean,
  action: AddressDecision['action'],
  owner: AddressOwner,
  report?: 'absent',
];

function check(phase: AddressPhase, owner: AddressOwner | undefined, rows: Row[]): void {
  for (const [management, present, wanted, action, wantOwner, report] of rows) {
    const got = decideAddress({
      management,
      phase,
      present,
      wanted,
      ...(owner === undefined ? {} : { owner }),
    });
    const want: AddressDecision =
      report === undefined ? { action, owner: wantOwner } : { action, owner: wantOwner, report };
    assert.deepEqual(
      got,
      want,
      `${phase} ${management} present=${present} wanted=${wanted} owner=${owner ?? '-'}`,
    );
  }
}

describe('decideAddress', () => {
  it('bind: auto adds only what is absent, on always adds, off never touches', () => {
    check('bind', undefined, [
      // mode    present wanted  action     owner       report
      ['auto', false, true, 'add', 'self'],
      ['auto', true, true, 'none', 'external'],
      ['on', false, true, 'add', 'self'],
      ['on', true, true, 'add', 'self'], // always add: idempotent, proves the privilege
      ['off', false, true, 'none', 'none', 'absent'],
      ['off', true, true, 'none', 'external'],
    ]);
  });

  it('bind: an address an earlier run recorded adding is ours in auto, never in off', () => {
    const bind = (management: AddressManagement, wanted: boolean) =>
      decideAddress({ management, phase: 'bind', present: true, wanted, recorded: true });
    assert.deepEqual(bind('auto', true), { action: 'add', owner: 'self' });
    assert.deepEqual(bind('auto', false), { action: 'remove', owner: 'self' });
    assert.deepEqual(bind('off', true), { action: 'none', owner: 'external' });
  });

  it('bind with a down service that withdraws its address: ours stay off the device', () => {
    check('bind', undefined, [
      ['auto', false, false, 'none', 'self'], // ours, added when the service comes up
      ['auto', true, false, 'none', 'external'], // someone else's: never taken away
      ['on', false, false, 'none', 'self'],
      ['on', true, false, 'remove', 'self'],
      ['off', false, false, 'none', 'none', 'absent'],
      ['off', true, false, 'none', 'external'],
    ]);
  });

  it('update: ours follow wanted; others are never touched, absence is reported', () => {
    for (const management of ['auto', 'on'] as const) {
      check('update', 'self', [
        [management, false, true, 'add', 'self'],
        [management, true, true, 'none', 'self'],
        [management, true, false, 'remove', 'self'],
        [management, false, false, 'none', 'self'],
      ]);
    }
    check('update', 'external', [
      ['auto', true, true, 'none', 'external'],
      ['auto', false, true, 'none', 'external', 'absent'], // removed by someone: not re-added
      ['auto', true, false, 'none', 'external'],
      ['auto', false, false, 'none', 'external'],
    ]);
    check('update', 'none', [
      ['off', false, true, 'none', 'none', 'absent'],
      ['off', true, true, 'none', 'external'], // the operator added it since
    ]);
  });

  it('release: removes what is ours and present, nothing else', () => {
    for (const wanted of [true, false]) {
      check('release', 'self', [
        ['auto', true, wanted, 'remove', 'self'],
        ['auto', false, wanted, 'none', 'self'],
        ['on', true, wanted, 'remove', 'self'],
        ['on', false, wanted, 'none', 'self'],
      ]);
      check('release', 'external', [
        ['auto', true, wanted, 'none', 'external'],
        ['auto', false, wanted, 'none', 'external'],
      ]);
      check('release', 'none', [
        ['off', false, wanted, 'none', 'none'],
        ['off', true, wanted, 'none', 'external'],
      ]);
    }
  });

  it('before bind nothing is ours: update and release do nothing', () => {
    for (const phase of ['update', 'release'] as const)
      for (const management of ['auto', 'on'] as const)
        for (const present of [true, false])
          assert.equal(decideAddress({ management, phase, present, wanted: true }).action, 'none');
  });

  it('invariants over every combination', () => {
    const modes = ['auto', 'on', 'off'] as const;
    const phases = ['bind', 'update', 'release'] as const;
    const owners = [undefined, 'self', 'external', 'none'] as const;
    let combos = 0;
    for (const management of modes)
      for (const phase of phases)
        for (const owner of owners)
          for (const present of [true, false])
            for (const wanted of [true, false]) {
              combos++;
              const facts = {
                management,
                phase,
                present,
                wanted,
                ...(owner === undefined ? {} : { owner }),
              };
              const d = decideAddress(facts);
              const label = JSON.stringify(facts);
              if (management === 'off') assert.equal(d.action, 'none', `off never acts: ${label}`);
              if (phase === 'release')
                assert.notEqual(d.action, 'add', `release never adds: ${label}`);
              if (d.action !== 'none') assert.equal(d.owner, 'self', `acts only on ours: ${label}`);
              if (d.action === 'add') assert.ok(!present || management === 'on', label);
              if (d.action === 'remove') assert.ok(present, `removes only what is there: ${label}`);
              if (owner === 'external' && phase !== 'bind')
                assert.equal(d.action, 'none', `never touches others': ${label}`);
              if (d.report === 'absent') assert.equal(present, false, label);
            }
    assert.equal(combos, 3 * 3 * 4 * 2 * 2);
  });
});
