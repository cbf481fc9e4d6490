import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DirectorError } from '../../../src/director/errors.js';
import {
  generateKey,
  parsePrivateKey,
  parseTrustedKeys,
  privateKeyPem,
  publicKeyFromText,
  publicKeyText,
  signAd,
  signedBytes,
  trustedKeyLine,
  verifyAd,
} from '../../../src/director/keys.js';
import { nodeAd } from './support.js';

const ad = nodeAd({
  origin: 'edge-1',
  issuedAt: 1_700_000_000_000,
  instance: '6f1c1e1e-5b1a-4c1e-9d1e-1e1e1e1e1e1e',
});

describe('ad signatures', () => {
  it('signs the domain prefix and the canonical JSON, nothing else', () => {
    const bytes = signedBytes(ad).toString('utf8');
    assert.ok(bytes.startsWith('anycast-guard-ad-v1\n{"expires":1700000030000,"generation":1,'));
    assert.doesNotMatch(bytes.slice('anycast-guard-ad-v1\n'.length), /\s/);
  });

  it('verifies after a JSON round trip with keys in another order', () => {
    const key = generateKey();
    const sig = signAd(ad, key);
    const reordered = JSON.parse(JSON.stringify(ad, Object.keys(ad).reverse())) as typeof ad;
    reordered.node = ad.node;
    assert.ok(verifyAd(reordered, sig, key));
  });

  it('fails on any change, and with another key', () => {
    const key = generateKey();
    const sig = signAd(ad, key);
    assert.ok(!verifyAd({ ...ad, generation: 2 }, sig, key));
    assert.ok(!verifyAd({ ...ad, node: { ...ad.node, load: 0 } }, sig, key));
    assert.ok(!verifyAd(ad, sig, generateKey()));
    assert.ok(!verifyAd(ad, 'not base64 at all', key));
  });

  it('public keys go to text and back; openssl keys are accepted', () => {
    const key = generateKey();
    const text = publicKeyText(key);
    assert.equal(Buffer.from(text, 'base64').length, 32);
    assert.ok(verifyAd(ad, signAd(ad, key), publicKeyFromText(text)));
    assert.throws(() => publicKeyFromText('AAAA'), /32-byte/);
    const again = parsePrivateKey(privateKeyPem(key), 'k.pem');
    assert.equal(publicKeyText(again), text);
    const dir = mkdtempSync(join(tmpdir(), 'ag-keys-'));
    try {
      execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'k.pem')]);
      const fromOpenssl = parsePrivateKey(readFileSync(join(dir, 'k.pem'), 'utf8'), 'k.pem');
      assert.ok(verifyAd(ad, signAd(ad, fromOpenssl), fromOpenssl));
      execFileSync('openssl', [
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-out',
        join(dir, 'ec.pem'),
      ]);
      assert.throws(
        () => parsePrivateKey(readFileSync(join(dir, 'ec.pem'), 'utf8'), 'ec.pem'),
        /ec\.pem: a ec key; ads are signed with Ed25519 keys only/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => parsePrivateKey('nope', 'x.pem'), /x\.pem: not a PEM private key/);
  });
});

describe('trusted keys', () => {
  const nodeKey = generateKey();
  const otherKey = generateKey();
  const text = [
    '# fleet keys',
    trustedKeyLine('node', 'edge-1', nodeKey),
    '',
    `${trustedKeyLine('node', 'edge-2', otherKey)}   # edge-2`,
  ].join('\n');

  it('accepts an ad signed by a key listed for its own role and origin', () => {
    const trusted = parseTrustedKeys(text, 'trusted');
    assert.equal(trusted.size, 2);
    trusted.check(ad, signAd(ad, nodeKey));
  });

  it('refuses an ad signed by a trusted key of another origin', () => {
    const trusted = parseTrustedKeys(text, 'trusted');
    assert.throws(
      () => trusted.check(ad, signAd(ad, otherKey)),
      (error: DirectorError) =>
        error.code === 'AD_BAD_SIGNATURE' && /node "edge-1"/.test(error.message),
    );
  });

  it('refuses an origin with no key, and a node key signing a director ad', () => {
    const trusted = parseTrustedKeys(text, 'trusted');
    assert.throws(
      () =>
        trusted.check({ ...ad, origin: 'edge-9' }, signAd({ ...ad, origin: 'edge-9' }, nodeKey)),
      (error: DirectorError) =>
        error.code === 'AD_UNTRUSTED' &&
        /add a line "node edge-9 ed25519 <public key>"/.test(error.message),
    );
    const directorAd = {
      v: 2 as const,
      kind: 'director' as const,
      origin: 'edge-1',
      startTime: 1,
      instance: ad.instance,
      generation: 1,
      issuedAt: 1,
      expires: 2,
      director: { url: 'http://evil.test/' },
    };
    assert.throws(
      () => trusted.check(directorAd, signAd(directorAd, nodeKey)),
      /no trusted key may sign for director "edge-1"/,
    );
  });

  it('names every bad line', () => {
    assert.throws(
      () =>
        parseTrustedKeys(
          'node a ed25519\nrouter b ed25519 AAAA\nnode c rsa AAAA\nnode d ed25519 AAAA',
          'tk',
        ),
      (error: DirectorError) =>
        error.code === 'KEY_INVALID' &&
        error.message.includes('tk:1: expected "ROLE ORIGIN ed25519 PUBLIC_KEY", got 3 fields') &&
        error.message.includes('tk:2: the role must be "node" or "director", got "router"') &&
        error.message.includes('tk:3: only ed25519 keys are supported, got "rsa"') &&
        error.message.includes('tk:4: "AAAA" is not the base64 of a 32-byte Ed25519 public key'),
    );
  });
});
