// The vtysh answer classifier on FRR 8.4's own answers (fixtures.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyAnswer, meaningfulLines } from '../../../../src/announcers/frrouting/answer.js';
import {
  BGPD_NOT_RUNNING,
  CONFIG_OK,
  NO_DAEMONS,
  NO_SUCH_NETWORK,
  OTHER_ASN,
  UNKNOWN_COMMAND,
  WRITE_AND_SHOW,
} from './fixtures.js';

describe('vtysh answers', () => {
  it('a configuration command that worked prints nothing but the vtysh.conf noise', () => {
    assert.deepEqual(classifyAnswer(CONFIG_OK), { ok: true });
    assert.deepEqual(classifyAnswer(WRITE_AND_SHOW), { ok: true });
    assert.deepEqual(meaningfulLines(CONFIG_OK.stderr), []);
  });

  it("bgpd down or no daemon on the pathspace: unreachable, in vtysh's words", () => {
    assert.deepEqual(classifyAnswer(NO_DAEMONS), {
      ok: false,
      code: 'ANNOUNCER_DAEMON_UNREACHABLE',
      reason: 'Exiting: failed to connect to any daemons.',
    });
    assert.deepEqual(classifyAnswer(BGPD_NOT_RUNNING), {
      ok: false,
      code: 'ANNOUNCER_DAEMON_UNREACHABLE',
      reason: 'bgpd is not running',
    });
  });

  it("a refused command: rejected, with FRR's line", () => {
    assert.deepEqual(classifyAnswer(UNKNOWN_COMMAND), {
      ok: false,
      code: 'ANNOUNCER_REJECTED',
      reason: '% Unknown command: network 203.0.113.999/32',
    });
    assert.deepEqual(classifyAnswer(NO_SUCH_NETWORK), {
      ok: false,
      code: 'ANNOUNCER_REJECTED',
      reason: "% Can't find static route specified",
    });
    assert.deepEqual(classifyAnswer(OTHER_ASN), {
      ok: false,
      code: 'ANNOUNCER_REJECTED',
      reason: 'BGP is already running; AS is 65001',
    });
  });

  it('a non-zero exit without any words: failed, with the exit code', () => {
    assert.deepEqual(classifyAnswer({ exitCode: 2, stdout: '', stderr: '' }), {
      ok: false,
      code: 'ANNOUNCER_COMMAND_FAILED',
      reason: 'exit code 2: no output',
    });
    assert.deepEqual(classifyAnswer({ exitCode: 1, stdout: 'something odd\n', stderr: '' }), {
      ok: false,
      code: 'ANNOUNCER_COMMAND_FAILED',
      reason: 'exit code 1: something odd',
    });
  });
});
