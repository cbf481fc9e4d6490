/**
 * Ed25519 keys (RFC 8032, through node:crypto) and the trusted keys file.
 *
 * A key file is an Ed25519 private key in PKCS#8 PEM, as `anycast-guard keys
 * generate` or `openssl genpkey -algorithm ed25519` writes it.
 *
 * The trusted keys file lists who may sign what, one key a line:
 *
 *     # role   origin   algorithm  public key (base64 of the 32 raw bytes)
 *     node     edge-1   ed25519    3m7x…=
 *     director dir-a    ed25519    q0Yb…=
 *
 * An ad is accepted only when a key listed for its own role and origin verifies it:
 * a trusted key for another origin (or a node key signing a director ad) is refused.
 * An origin may have several keys (rotation). Blank lines and `#` comments are skipped.
 *
 * What is signed: the bytes "anycast-guard-ad-v1\n" followed by the ad's canonical
 * JSON (canonical.ts). The prefix keeps these signatures from ever being valid for
 * another use of the same key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Ad, AdKind } from './ad.js';
import { NAME_PATTERN } from './ad.js';
import { canonicalBytes } from './canonical.js';
import { DirectorError } from './errors.js';
import { errorCode, errorMessage } from '../util/index.js';

const DOMAIN = Buffer.from('anycast-guard-ad-v1\n', 'utf8');

/** The exact bytes an ad's signature covers. */
export function signedBytes(ad: Ad): Buffer {
  return Buffer.concat([DOMAIN, canonicalBytes(ad)]);
}

export function signAd(ad: Ad, key: KeyObject): string {
  return sign(null, signedBytes(ad), key).toString('base64');
}

export function verifyAd(ad: Ad, signature: string, key: KeyObject): boolean {
  try {
    return verify(null, signedBytes(ad), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function generateKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

/** The PKCS#8 PEM text of a private key. */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Base64 of the 32 raw public key bytes (RFC 8032 5.1.5), as the trusted keys file holds it. */
export function publicKeyText(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new DirectorError('KEY_INVALID', 'not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** A public key from the base64 of its 32 raw bytes. */
export function publicKeyFromText(text: string): KeyObject {
  const raw = Buffer.from(text, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== text)
    throw new DirectorError(
      'KEY_INVALID',
      `"${text}" is not the base64 of a 32-byte Ed25519 public key`,
    );
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
}

/** The line a trusted keys file needs for this key. */
export function trustedKeyLine(role: AdKind, origin: string, key: KeyObject): string {
  return `${role} ${origin} ed25519 ${publicKeyText(key)}`;
}

export function parsePrivateKey(text: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (error) {
    throw new DirectorError(
      'KEY_INVALID',
      `${source}: not a PEM private key (${errorMessage(error)}); create one with \`anycast-guard keys generate\``,
      { cause: error },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new DirectorError(
      'KEY_INVALID',
      `${source}: a ${key.asymmetricKeyType ?? 'unknown'} key; ads are signed with Ed25519 keys only`,
    );
  return key;
}

export async function loadPrivateKey(path: string): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DirectorError(
      'KEY_INVALID',
      `cannot read the key file ${path}: ${errorCode(error) ?? errorMessage(error)}`,
      { cause: error },
    );
  }
  return parsePrivateKey(text, path);
}

export interface TrustedKey {
  readonly role: AdKind;
  readonly origin: string;
  readonly key: KeyObject;
  /** Line in the file, for messages. */
  readonly line: number;
}

/** The keys a director trusts, by role and origin. */
export class TrustedKeys {
  private readonly byOrigin = new Map<string, TrustedKey[]>();

  constructor(keys: readonly TrustedKey[]) {
    for (const key of keys) {
      const id = `${key.role}:${key.origin}`;
      const list = this.byOrigin.get(id) ?? [];
      list.push(key);
      this.byOrigin.set(id, list);
    }
  }

  get size(): number {
    let n = 0;
    for (const list of this.byOrigin.values()) n += list.length;
    return n;
  }

  keysFor(role: AdKind, origin: string): readonly TrustedKey[] {
    return this.byOrigin.get(`${role}:${origin}`) ?? [];
  }

  /**
   * Throws AD_UNTRUSTED when no key may sign for this role and origin, AD_BAD_SIGNATURE
   * when none of them verifies the signature.
   */
  check(ad: Ad, signature: string): void {
    const keys = this.keysFor(ad.kind, ad.origin);
    if (keys.length === 0)
      throw new DirectorError(
        'AD_UNTRUSTED',
        `no trusted key may sign for ${ad.kind} "${ad.origin}": add a line "${ad.kind} ${ad.origin} ed25519 <public key>" to the trusted keys file`,
      );
    if (!keys.some((k) => verifyAd(ad, signature, k.key)))
      throw new DirectorError(
        'AD_BAD_SIGNATURE',
        `the signature of ${ad.kind} "${ad.origin}" (generation ${ad.generation}) does not verify with its trusted key${keys.length === 1 ? '' : 's'}: forged, tampered with, or signed with another key`,
      );
  }
}

/** Parses a trusted keys file; every bad line is named in one error. */
export function parseTrustedKeys(text: string, source: string): TrustedKeys {
  const keys: TrustedKey[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const at = `${source}:${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== 4) {
      problems.push(
        `${at}: expected "ROLE ORIGIN ed25519 PUBLIC_KEY", got ${fields.length} fields`,
      );
      return;
    }
    const [role, origin, algorithm, material] = fields as [string, string, string, string];
    if (role !== 'node' && role !== 'director') {
      problems.push(`${at}: the role must be "node" or "director", got "${role}"`);
      return;
    }
    if (!NAME_PATTERN.test(origin)) {
      problems.push(`${at}: "${origin}" is not a valid origin name`);
      return;
    }
    if (algorithm !== 'ed25519') {
      problems.push(`${at}: only ed25519 keys are supported, got "${algorithm}"`);
      return;
    }
    try {
      keys.push({ role, origin, key: publicKeyFromText(material), line: i + 1 });
    } catch (error) {
      problems.push(`${at}: ${errorMessage(error)}`);
    }
  });
  if (problems.length > 0) throw new DirectorError('KEY_INVALID', problems.join('\n'));
  return new TrustedKeys(keys);
}

export async function loadTrustedKeys(path: string): Promise<TrustedKeys> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DirectorError(
      'KEY_INVALID',
      `cannot read the trusted keys file ${path}: ${errorCode(error) ?? errorMessage(error)}`,
      { cause: error },
    );
  }
  return parseTrustedKeys(text, path);
}
