/**
 * A peer's `password_file`: read when the speaker is made and again on every reload,
 * so a new password takes effect with SIGHUP. Surrounding whitespace (a trailing
 * newline) is not part of it. A file other users can read is a warning. No message
 * here ever holds the password itself.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { formatPath, type KeyPath } from '../validation/index.js';
import { passwordProblem, SpeakerConfigError, type PeerOptions } from './options.js';

/** The peer with `password` read from its `passwordFile` (which is dropped); others unchanged. */
export function withPasswordFromFile(
  peer: PeerOptions,
  key: KeyPath,
  logger: Logger | undefined,
): PeerOptions {
  const path = peer.passwordFile;
  if (path === undefined) return peer;
  const at = formatPath([...key, 'password_file']);
  const name = peer.name ?? peer.address;
  let text: string;
  try {
    if ((statSync(path).mode & 0o004) !== 0)
      logger?.warn(
        { event: 'bgp.password_file_readable', peer: name, path },
        'password file is readable by other users: chmod o-r it',
      );
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SpeakerConfigError(at, `cannot read ${path} for peer ${name}: ${code}`);
  }
  const password = text.trim();
  const problem = passwordProblem(password);
  if (problem !== undefined)
    throw new SpeakerConfigError(at, `the password in ${path} for peer ${name} ${problem}`);
  const { passwordFile: _file, ...rest } = peer;
  return { ...rest, password };
}
