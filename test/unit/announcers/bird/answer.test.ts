// birdc's answers to `configure` and `show route`, captured from real daemons: BIRD
// 2.0.12 on this project's machine (in a lab namespace, `birdc` and `birdc -v`), BIRD
// 1.6.6 and BIRD 3.2.1 as reported in public issues (pierky/arouteserver#123,
// unixsurfer/anycast_healthchecker#55).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigureAnswer, parseRouteList } from '../../../../src/announcers/bird/index.js';

const BIRD2_OK = 'BIRD 2.0.12 ready.\nReading configuration from bird.conf\nReconfigured\n';
const BIRD2_OK_V =
  '0001 BIRD 2.0.12 ready.\n0002-Reading configuration from bird.conf\n0003 Reconfigured\n';
const BIRD2_PROGRESS_V =
  '0001 BIRD 2.0.12 ready.\n0002-Reading configuration from bird.conf\n0004 Reconfiguration in progress\n';
const BIRD2_QUEUED_V =
  '0001 BIRD 2.0.12 ready.\n0002-Reading configuration from bird.conf\n0005 Reconfiguration already in progress, queueing new config\n';
const BIRD2_QUEUED =
  'BIRD 2.0.12 ready.\nReading configuration from bird.conf\nReconfiguration already in progress, queueing new config\n';
const BIRD2_SHUTDOWN =
  'BIRD 2.0.12 ready.\nReading configuration from bird.conf\nReconfiguration ignored, shutting down\n';
const BIRD2_SHUTDOWN_V =
  '0001 BIRD 2.0.12 ready.\n0002-Reading configuration from bird.conf\n0006 Reconfiguration ignored, shutting down\n';
const BIRD2_SYNTAX =
  "BIRD 2.0.12 ready.\nReading configuration from bird.conf\n/tmp/birdcap/prefixes4.conf:4:5 syntax error, unexpected ']', expecting IP4 or IP6\n";
const BIRD2_SYNTAX_V =
  "0001 BIRD 2.0.12 ready.\n0002-Reading configuration from bird.conf\n8002 /tmp/birdcap/prefixes4.conf:4:5 syntax error, unexpected ']', expecting IP4 or IP6\n";
const BIRD2_UNDEFINED_V =
  '0001 BIRD 2.0.12 ready.\n0002-Reading configuration from bird.conf\n8002 bird.conf:5:39 syntax error, unexpected CF_SYM_UNDEFINED\n';
const BIRD2_MISSING_INCLUDE =
  'BIRD 2.0.12 ready.\nReading configuration from bird.conf\nbird.conf:4:10 Unable to open included file /tmp/birdcap/prefixes6.conf: No such file or directory\n';
const UNREACHABLE_ENOENT =
  'Unable to connect to server control socket (/tmp/birdcap/nope.ctl): No such file or directory\n';
const UNREACHABLE_REFUSED =
  'Unable to connect to server control socket (/tmp/birdcap/bird.ctl): Connection refused\n';
const UNREACHABLE_EACCES =
  'Unable to connect to server control socket (/tmp/birdcap/bird.ctl): Permission denied\n';
const BIRD1_SYNTAX =
  'BIRD 1.6.6 ready.\nReading configuration from /etc/bird/bird.conf\n/etc/bird/bird.conf:16:1 syntax error\n';
const BIRD3_OK =
  'BIRD 3.2.1 ready.\nReading configuration from /etc/bird/bird.conf\nReconfiguration in progress\n';

describe('parseConfigureAnswer', () => {
  it('BIRD 2 accepted, with and without reply codes', () => {
    for (const text of [BIRD2_OK, BIRD2_OK_V]) {
      const answer = parseConfigureAnswer(text);
      assert.equal(answer.outcome, 'reconfigured');
      assert.equal(answer.accepted, true);
      assert.equal(answer.message, 'Reconfigured');
      assert.equal(answer.version, '2.0.12');
      assert.equal(answer.configFile, 'bird.conf');
    }
  });

  it('BIRD 3 answers "Reconfiguration in progress": accepted', () => {
    const answer = parseConfigureAnswer(BIRD3_OK);
    assert.deepEqual(
      [answer.outcome, answer.accepted, answer.version, answer.configFile],
      ['in-progress', true, '3.2.1', '/etc/bird/bird.conf'],
    );
    assert.equal(parseConfigureAnswer(BIRD2_PROGRESS_V).outcome, 'in-progress');
  });

  it('a reconfiguration queued behind another is accepted', () => {
    for (const text of [BIRD2_QUEUED, BIRD2_QUEUED_V]) {
      const answer = parseConfigureAnswer(text);
      assert.equal(answer.outcome, 'queued');
      assert.equal(answer.accepted, true);
    }
  });

  it('"Reconfiguration ignored, shutting down" is not accepted', () => {
    for (const text of [BIRD2_SHUTDOWN, BIRD2_SHUTDOWN_V]) {
      const answer = parseConfigureAnswer(text);
      assert.equal(answer.outcome, 'shutting-down');
      assert.equal(answer.accepted, false);
      assert.equal(answer.message, 'Reconfiguration ignored, shutting down');
    }
  });

  it('a parse error is a rejection, in BIRD’s words', () => {
    const cases: [string, string][] = [
      [
        BIRD2_SYNTAX,
        "/tmp/birdcap/prefixes4.conf:4:5 syntax error, unexpected ']', expecting IP4 or IP6",
      ],
      [
        BIRD2_SYNTAX_V,
        "/tmp/birdcap/prefixes4.conf:4:5 syntax error, unexpected ']', expecting IP4 or IP6",
      ],
      [BIRD2_UNDEFINED_V, 'bird.conf:5:39 syntax error, unexpected CF_SYM_UNDEFINED'],
      [
        BIRD2_MISSING_INCLUDE,
        'bird.conf:4:10 Unable to open included file /tmp/birdcap/prefixes6.conf: No such file or directory',
      ],
      [BIRD1_SYNTAX, '/etc/bird/bird.conf:16:1 syntax error'],
      [
        'BIRD 1.5.0 ready.\nReading configuration from /etc/bird.conf\n/etc/bird.conf, line 9: syntax error\n',
        '/etc/bird.conf, line 9: syntax error',
      ],
    ];
    for (const [text, message] of cases) {
      const answer = parseConfigureAnswer(text);
      assert.equal(answer.outcome, 'rejected', text);
      assert.equal(answer.accepted, false);
      assert.equal(answer.message, message);
    }
  });

  it('birdc that cannot reach BIRD (stderr) is unreachable', () => {
    for (const text of [UNREACHABLE_ENOENT, UNREACHABLE_REFUSED, UNREACHABLE_EACCES]) {
      const answer = parseConfigureAnswer('', text);
      assert.equal(answer.outcome, 'unreachable');
      assert.equal(answer.message, text.trim());
    }
  });

  it('no answer at all is unknown, never accepted', () => {
    assert.deepEqual(parseConfigureAnswer(''), {
      outcome: 'unknown',
      accepted: false,
      message: 'no output',
    });
    const greeting = parseConfigureAnswer('BIRD 2.0.12 ready.\nReading configuration from x\n');
    assert.equal(greeting.outcome, 'unknown');
    assert.equal(greeting.accepted, false);
  });

  it('an unknown error code with -v is a rejection', () => {
    const answer = parseConfigureAnswer('0001 BIRD 2.0.12 ready.\n8007 Access denied\n');
    assert.equal(answer.outcome, 'rejected');
    assert.equal(answer.message, 'Access denied');
  });
});

describe('parseRouteList', () => {
  it('lists the networks of `show route where net ~ SET` (BIRD 2.0.12)', () => {
    const text = [
      'BIRD 2.0.12 ready.',
      'Table master4:',
      '203.0.113.7/32       unicast [direct1 04:30:13.988] * (240)',
      '\tdev lo',
      '                     unicast [static1 04:30:13.990] (200)',
      '\tdev lo',
      '',
      'Table master6:',
      '2001:db8::7/128      unicast [direct1 04:30:13.990] * (240)',
      '\tdev lo',
    ].join('\n');
    const list = parseRouteList(text);
    assert.deepEqual([...list.networks], ['203.0.113.7/32', '2001:db8::7/128']);
    assert.equal(list.error, undefined);
  });

  it('nothing matched: an empty list', () => {
    assert.equal(parseRouteList('BIRD 2.0.12 ready.\n').networks.size, 0);
  });

  it('an undefined set name or an unreachable BIRD is an error', () => {
    assert.equal(
      parseRouteList('0001 BIRD 2.0.12 ready.\n9001 syntax error, unexpected CF_SYM_UNDEFINED\n')
        .error,
      'syntax error, unexpected CF_SYM_UNDEFINED',
    );
    assert.equal(parseRouteList('', UNREACHABLE_ENOENT).error, UNREACHABLE_ENOENT.trim());
  });
});
