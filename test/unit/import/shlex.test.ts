// shlex.split as anycast-healthchecker applies it to check_cmd.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shlexSplit } from '../../../src/import/shlex.js';

describe('shlexSplit', () => {
  it('words, quotes, escapes', () => {
    assert.deepEqual(shlexSplit('  /usr/bin/curl  --fail\t-s\nhttp://x/ '), [
      '/usr/bin/curl',
      '--fail',
      '-s',
      'http://x/',
    ]);
    assert.deepEqual(shlexSplit(`a 'b c' "d e" f'g'"h"`), ['a', 'b c', 'd e', 'fgh']);
    assert.deepEqual(shlexSplit(`"a \\" \\\\ \\n" 'no \\escape' x\\ y`), [
      'a " \\ \\n',
      'no \\escape',
      'x y',
    ]);
    assert.deepEqual(shlexSplit(`'' ""`), ['', '']);
  });
  it('shell operators are plain characters', () => {
    assert.deepEqual(shlexSplit('check | grep -q ok; echo $HOME # not a comment &'), [
      'check',
      '|',
      'grep',
      '-q',
      'ok;',
      'echo',
      '$HOME',
      '#',
      'not',
      'a',
      'comment',
      '&',
    ]);
  });
  it('unbalanced quotes and a trailing backslash are errors', () => {
    assert.throws(() => shlexSplit(`a 'b`), /No closing quotation/);
    assert.throws(() => shlexSplit(`a "b`), /No closing quotation/);
    assert.throws(() => shlexSplit('a \\'), /No escaped character/);
  });
});
