/**
 * Directors over HTTPS as processes on loopback: 3 directors in a line with mutual
 * TLS between them, nodes posting with client certificates to one end. Ads travel
 * the whole line over TLS; `locate` verifies with --ca-file (and fails without it);
 * POST /v1/ads without a client certificate is refused; SIGHUP swaps the server
 * certificate while a kept-alive connection goes on being served.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { systemClock } from '../../../src/clock/index.js';
import { loadClientTls, requestJson, type ClientTls } from '../../../src/director/http.js';
import { PermitClient } from '../../../src/director/permit-client.js';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';
import { TestCa } from './director-certs.js';
import { CLI, Fleet, getJson, type NodesAnswer } from './fleet.js';

const run = promisify(execFile);
const NODES = ['edge-1', 'edge-2', 'edge-3', 'edge-4'];
const names = ['t1', 't2', 't3'];

async function eventuallyAsync(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One request on an open TLS socket (keep-alive): the status line of the whole answer. */
function requestOn(socket: TLSSocket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no whole answer to ${path}: ${text}`)), 5000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      const whole =
        end >= 0 &&
        (length === undefined
          ? text.endsWith('\r\n0\r\n\r\n')
          : text.length >= end + 4 + Number(length));
      if (whole) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(text.split('\r\n')[0] ?? '');
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n`);
  });
}

describe('directors over HTTPS with client certificates', () => {
  let fleet: Fleet;
  let ca: TestCa;
  let clientCa: TestCa;
  let nodeTls: ClientTls;
  let serverFiles: { cert: string; key: string }[];

  before(async () => {
    fleet = await Fleet.create('tls');
    await fleet.makeKeys(names, NODES);
    ca = await TestCa.create(fleet.dir, 'server-ca');
    clientCa = await TestCa.create(fleet.dir, 'client-ca');
    serverFiles = [];
    for (const name of names) {
      // One certificate serves (server CA) and one authenticates to peers (client CA).
      const issued = await ca.issue(name);
      const cert = join(fleet.dir, `${name}-tls.pem`);
      const key = join(fleet.dir, `${name}-tls.key`);
      await copyFile(issued.cert, cert);
      await copyFile(issued.key, key);
      serverFiles.push({ cert, key });
    }
    await fleet.defineDirectors(
      (urls) =>
        names.map((name, i) => ({
          name,
          peers: urls.filter((_, j) => Math.abs(i - j) === 1),
          discoverPeers: false,
          intervalSeconds: 1,
          // A CA file holding both CAs: it verifies peers (server CA) and accepts
          // client certificates of either; the directors' own certificates come from
          // the server CA, the nodes' from the client CA.
          tables: `[tls]\ncert_file = "${serverFiles[i]!.cert}"\nkey_file = "${serverFiles[i]!.key}"\nca_file = "${ca.caFile}"\nclient_ca_file = "${join(fleet.dir, 'both-cas.pem')}"\n`,
        })),
      3,
      { https: true },
    );
    const both = `${await readFile(ca.caFile, 'utf8')}${await readFile(clientCa.caFile, 'utf8')}`;
    await writeFile(join(fleet.dir, 'both-cas.pem'), both);
    for (const director of fleet.directors) await director.start();
    const nodeCert = await clientCa.issue('edge');
    nodeTls = await loadClientTls({
      caFile: ca.caFile,
      certFile: nodeCert.cert,
      keyFile: nodeCert.key,
    });
    fleet.addNodes(NODES, [fleet.directors[0]!.url], { learnDirectors: false, tls: nodeTls });
  });

  after(() => fleet.close());

  it('ads reach the far end of the line, hop by hop over mutual TLS', async () => {
    const far = fleet.directors[2]!;
    await eventuallyAsync(async () => {
      const answer = await getJson<NodesAnswer>(`${far.url}/v1/nodes`, { ca: nodeTls.ca! });
      return NODES.every((n) => answer.nodes.some((seen) => seen.name === n));
    }, 'every node at t3');
    const answer = await getJson<NodesAnswer>(`${far.url}/v1/nodes`, { ca: nodeTls.ca! });
    assert.deepEqual(answer.nodes.find((n) => n.name === 'edge-1')?.path, [
      'node edge-1',
      't1',
      't2',
    ]);
  });

  it('locate verifies with --ca-file, and refuses a director it cannot verify', async () => {
    const far = fleet.directors[2]!;
    await eventually(() => loggedEvent(far.output, 'director.ready'), 't3 ready', 10_000);
    const { stdout } = await run(process.execPath, [
      CLI,
      'locate',
      'web',
      '--director',
      far.url,
      '--ca-file',
      ca.caFile,
      '--client',
      '10.1.2.3',
    ]);
    const urls = stdout.trim().split('\n');
    assert.equal(urls.length, NODES.length + 1);
    assert.equal(urls.at(-1), 'http://203.0.113.80/');
    const unverified = await run(process.execPath, [
      CLI,
      'locate',
      'web',
      '--director',
      far.url,
      '--anycast',
      'http://203.0.113.80/',
      '--json',
    ]);
    const answer = JSON.parse(unverified.stdout) as { source: string; tried: { error: string }[] };
    assert.equal(answer.source, 'anycast', 'the system store does not know the test CA');
    assert.match(answer.tried[0]?.error ?? '', /SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it('POST /v1/ads needs a client certificate; GETs do not', async () => {
    const d1 = fleet.directors[0]!;
    const anonymous = await requestJson(`${d1.url}/v1/ads`, {
      method: 'POST',
      body: { ads: [] },
      timeoutMs: 5000,
      tls: { ca: nodeTls.ca! },
    });
    assert.equal(anonymous.status, 403);
    assert.match(JSON.stringify(anonymous.body), /needs a client certificate/);
    const withCert = await requestJson(`${d1.url}/v1/ads`, {
      method: 'POST',
      body: { ads: [] },
      timeoutMs: 5000,
      tls: nodeTls,
    });
    assert.equal(withCert.status, 200);
  });

  it('POST /v1/permits needs a client certificate too', async () => {
    const d1 = fleet.directors[0]!;
    await eventually(() => loggedEvent(d1.output, 'director.ready'), 't1 ready', 10_000);
    const asker = (tls: ClientTls) =>
      new PermitClient({
        origin: 'edge-1',
        key: fleet.key('node', 'edge-1'),
        directors: () => [d1.url],
        timeoutMs: 5000,
        tls,
        clock: systemClock,
      });
    const [anonymous] = await asker({ ca: nodeTls.ca! }).acquire('web', { announcing: 1 });
    assert.ok(anonymous !== undefined && 'error' in anonymous);
    assert.match(anonymous.error, /HTTP 403: POST \/v1\/permits needs a client certificate/);
    const [withCert] = await asker(nodeTls).acquire('web', { announcing: 1 });
    assert.ok(withCert !== undefined && 'answer' in withCert, JSON.stringify(withCert));
    await asker(nodeTls).release('web');
  });

  it('SIGHUP swaps the certificate; a connection open across it is still served', async () => {
    const d1 = fleet.directors[0]!;
    const port = Number(new URL(d1.url).port);
    const socket = connect({ host: '127.0.0.1', port, ca: nodeTls.ca! });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const before = socket.getPeerCertificate().serialNumber;
    assert.match(await requestOn(socket, '/healthz'), /^HTTP\/1\.1 200/);
    const next = await ca.issue('t1-renewed');
    await copyFile(next.cert, serverFiles[0]!.cert);
    await copyFile(next.key, serverFiles[0]!.key);
    d1.child!.kill('SIGHUP');
    await eventually(() => loggedEvent(d1.output, 'director.tls_reloaded'), 'the reload', 10_000);
    assert.match(await requestOn(socket, '/healthz'), /^HTTP\/1\.1 200/, 'the old connection');
    const fresh = connect({ host: '127.0.0.1', port, ca: nodeTls.ca! });
    await new Promise<void>((resolve, reject) => {
      fresh.once('secureConnect', resolve);
      fresh.once('error', reject);
    });
    assert.notEqual(
      fresh.getPeerCertificate().serialNumber,
      before,
      'a new handshake, a new certificate',
    );
    fresh.destroy();
    socket.destroy();
  });
});
