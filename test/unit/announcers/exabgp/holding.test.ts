import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ExabgpHold, startedByExabgp } from '../../../../src/announcers/exabgp/index.js';

describe('startedByExabgp', () => {
  const parent = (argv: string[]) => () => argv.join('\0');
  it('knows ExaBGP by its parent, or by a file naming the announcer on a piped stdout', () => {
    assert.equal(startedByExabgp(undefined, parent(['/usr/sbin/exabgp', 'e.conf']), false), true);
    assert.equal(startedByExabgp(undefined, parent(['python3', '/usr/sbin/exabgp']), false), true);
    assert.equal(startedByExabgp(undefined, parent(['python3', '-m', 'exabgp']), false), true);
    assert.equal(startedByExabgp('prefixes.exabgp = ["x"]', parent(['bash']), false), true);
    // A test file named after ExaBGP is not ExaBGP; a terminal never is.
    assert.equal(startedByExabgp('', parent(['node', 'exabgp-hold.test.js']), false), false);
    assert.equal(startedByExabgp('prefixes.exabgp = ["x"]', parent(['exabgp']), true), false);
  });
});

describe('ExabgpHold', () => {
  it('withdraws, and hands the pipes over only after the answers (with ack)', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const written: string[] = [];
    output.on('data', (c: Buffer) => written.push(...c.toString().split('\n').filter(Boolean)));
    const hold = new ExabgpHold({ input, output, onGone: () => assert.fail('not gone') });
    assert.equal(hold.withdraw(['203.0.113.1/32', '2001:db8::1/128']), 2);
    let released = false;
    const release = hold.release(true, 60_000).then(() => (released = true));
    input.write('done\n');
    await new Promise((r) => setImmediate(r));
    assert.equal(released, false, 'one answer still to come');
    input.write('error\n');
    await release;
    assert.deepEqual(written, ['withdraw route 203.0.113.1/32', 'withdraw route 2001:db8::1/128']);
    assert.equal(input.listenerCount('data'), 0, 'the pipes are free for the announcer');
  });

  it('"shutdown" or the end of stdin: gone, once', () => {
    for (const [send, shutdown] of [
      ['shutdown 1 2\n', true],
      ['', false],
    ] as const) {
      const input = new PassThrough();
      const gone: boolean[] = [];
      new ExabgpHold({ input, output: new PassThrough(), onGone: (s) => gone.push(s) });
      if (send === '') input.emit('end');
      else input.emit('data', send);
      input.emit('end');
      assert.deepEqual(gone, [shutdown]);
    }
  });
});
