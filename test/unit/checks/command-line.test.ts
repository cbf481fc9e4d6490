import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { joinCommand, splitCommand } from '../../../src/checks/command-line.js';

function argv(text: string): string[] {
  const result = splitCommand(text);
  assert.ok(
    result.ok,
    `expected ${JSON.stringify(text)} to split, got ${result.ok ? '' : result.error}`,
  );
  return result.argv;
}

function error(text: string): string {
  const result = splitCommand(text);
  assert.ok(
    !result.ok,
    `expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(result)}`,
  );
  return result.error;
}

describe('splitCommand', () => {
  it('splits on runs of blanks, tabs and newlines', () => {
    assert.deepEqual(argv('  /usr/bin/check\t-v \n --name  x '), [
      '/usr/bin/check',
      '-v',
      '--name',
      'x',
    ]);
    assert.deepEqual(argv(''), []);
  });

  it('keeps single-quoted text literally, backslashes included', () => {
    assert.deepEqual(argv(`grep -q 'a b\\n$x'`), ['grep', '-q', 'a b\\n$x']);
  });

  it('honours the POSIX escapes inside double quotes and nothing else', () => {
    assert.deepEqual(argv('echo "a \\"b\\" \\\\ \\$HOME \\n"'), ['echo', 'a "b" \\ $HOME \\n']);
  });

  it('joins adjacent quoted and unquoted parts into one word', () => {
    assert.deepEqual(argv(`--opt='a b'"c d"e`), ['--opt=a bc de']);
  });

  it('keeps empty quoted words', () => {
    assert.deepEqual(argv(`cmd '' ""`), ['cmd', '', '']);
  });

  it('treats backslash outside quotes as escaping one character; backslash-newline joins lines', () => {
    assert.deepEqual(argv('a\\ b c\\\nd \\|'), ['a b', 'cd', '|']);
  });

  it('passes globs, tilde and a mid-word # through literally', () => {
    assert.deepEqual(argv('ls *.txt ~/x a#b [ -f x ]'), [
      'ls',
      '*.txt',
      '~/x',
      'a#b',
      '[',
      '-f',
      'x',
      ']',
    ]);
  });

  it('refuses unterminated quotes and a trailing backslash', () => {
    assert.match(error(`echo 'abc`), /unterminated single quote at column 6/);
    assert.match(error('echo "abc'), /unterminated double quote at column 6/);
    assert.match(error('echo abc\\'), /lone backslash/);
  });

  it('refuses shell operators and expansions instead of passing them on with another meaning', () => {
    assert.match(
      error('check | grep ok'),
      /unquoted "\|" at column 7 is shell syntax.*without a shell/,
    );
    assert.match(error('a && b'), /unquoted "&"/);
    assert.match(error('a; b'), /unquoted ";"/);
    assert.match(error('a > /tmp/x'), /unquoted ">"/);
    assert.match(error('echo $HOME'), /unquoted "\$"/);
    assert.match(error('echo `id`'), /unquoted "`"/);
    assert.match(error('echo "$HOME"'), /"\$" at column 7 would be expanded by a shell/);
    assert.match(error('check # comment'), /shell comment/);
    // Quoted, they are ordinary characters.
    assert.deepEqual(argv(`sh -c 'a | b && $c'`), ['sh', '-c', 'a | b && $c']);
  });

  it('splitCommand(joinCommand(argv)) gives argv back for any strings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }),
        (args) => {
          const split = splitCommand(joinCommand(args));
          assert.ok(split.ok);
          assert.deepEqual(split.argv, args);
        },
      ),
      { numRuns: 500 },
    );
  });
});
