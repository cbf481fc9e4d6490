// password_file: trimmed, a world-readable file warned about, and no message that
// could leak what is in it.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { SpeakerConfigError, withPasswordFromFile } from '../../../src/bgp/index.js';

const SECRET = 'Hunter2-but-longer';
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ag-pass-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

const peer = (path: string) => ({
  address: '198.18.0.2',
  asn: 65000,
  name: 'r1',
  passwordFile: path,
});

describe('withPasswordFromFile', () => {
  it('reads the file, drops surrounding whitespace and the passwordFile key', async () => {
    const path = join(dir, 'ok.pass');
    await writeFile(path, `  ${SECRET}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    const { logger, lines } = capture();
    const resolved = withPasswordFromFile(peer(path), ['peers', 0], logger);
    assert.equal(resolved.password, SECRET);
    assert.equal(resolved.passwordFile, undefined);
    assert.deepEqual(lines, []);
  });

  it('warns, by event and without the password, when others can read the file', async () => {
    const path = join(dir, 'open.pass');
    await writeFile(path, SECRET);
    await chmod(path, 0o644);
    const { logger, lines } = capture();
    withPasswordFromFile(peer(path), ['peers', 0], logger);
    const events = lines.map((l) => (JSON.parse(l) as { event: string }).event);
    assert.deepEqual(events, ['bgp.password_file_readable']);
    assert.ok(!lines.join('').includes(SECRET));
  });

  it('a missing, empty or too long file is an error at password_file naming the peer', async () => {
    const empty = join(dir, 'empty.pass');
    await writeFile(empty, ' \n', { mode: 0o600 });
    const long = join(dir, 'long.pass');
    await writeFile(long, SECRET.repeat(5), { mode: 0o600 });
    for (const path of [join(dir, 'none.pass'), empty, long])
      assert.throws(
        () => withPasswordFromFile(peer(path), ['bgp', 'peers', 3], undefined),
        (error: unknown) =>
          error instanceof SpeakerConfigError &&
          error.key === 'bgp.peers[3].password_file' &&
          error.message.includes('peer r1') &&
          !error.message.includes(SECRET),
      );
  });

  it('a peer without password_file is returned as it is', () => {
    const p = { address: '198.18.0.2', asn: 65000, password: SECRET };
    assert.equal(withPasswordFromFile(p, ['peers', 0], undefined), p);
  });
});
