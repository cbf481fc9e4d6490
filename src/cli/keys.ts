/**
 * `anycast-guard keys generate --out FILE --role node|director --origin NAME`: a new
 * Ed25519 key (PKCS#8 PEM, mode 0600, never overwriting a file), and the line the
 * directors' trusted keys file needs for it. `keys public --key FILE …` prints that
 * line for an existing key (one made with openssl, say).
 */
import { writeFile } from 'node:fs/promises';
import {
  type AdKind,
  DirectorError,
  generateKey,
  loadPrivateKey,
  NAME_PATTERN,
  privateKeyPem,
  trustedKeyLine,
} from '../director/index.js';
import { errorCode, errorMessage } from '../util/index.js';

export interface KeyCliOptions {
  readonly role: string;
  readonly origin: string;
}

function checked(options: KeyCliOptions): { role: AdKind; origin: string } {
  if (options.role !== 'node' && options.role !== 'director')
    throw new DirectorError(
      'KEY_INVALID',
      `--role must be "node" or "director", got "${options.role}"`,
    );
  if (!NAME_PATTERN.test(options.origin))
    throw new DirectorError('KEY_INVALID', `--origin "${options.origin}" is not a valid name`);
  return { role: options.role, origin: options.origin };
}

export async function runKeysGenerate(
  out: string,
  options: KeyCliOptions,
  print: (text: string) => void,
): Promise<void> {
  const { role, origin } = checked(options);
  const key = generateKey();
  try {
    await writeFile(out, privateKeyPem(key), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = errorCode(error);
    throw new DirectorError(
      'KEY_INVALID',
      code === 'EEXIST'
        ? `${out} exists: not overwriting a key (remove it first)`
        : `cannot write ${out}: ${code ?? errorMessage(error)}`,
      { cause: error },
    );
  }
  print(trustedKeyLine(role, origin, key));
}

export async function runKeysPublic(
  keyFile: string,
  options: KeyCliOptions,
  print: (text: string) => void,
): Promise<void> {
  const { role, origin } = checked(options);
  print(trustedKeyLine(role, origin, await loadPrivateKey(keyFile)));
}
