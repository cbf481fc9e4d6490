/**
 * A BFD peer for tests, over node:dgram, that sends with a chosen TTL:
 *
 *   ip netns exec NS node dist/test/lab/bfd-peer-process.js PEER TTL
 *
 * It runs src/bfd's engine for one session with PEER and trusts every packet it
 * receives (it is the router side of a test, not the code under test). Writes JSON
 * lines: {"event":"sent","count":N} every 5 packets, {"event":"state","state":"up"}.
 */
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { BFD_PORT, BfdEngine } from '../../src/bfd/index.js';

const [peer, ttlText] = process.argv.slice(2);
if (peer === undefined || ttlText === undefined)
  throw new Error('usage: bfd-peer-process.js PEER TTL');
const ttl = Number(ttlText);
const family = peer.includes(':') ? 'udp6' : 'udp4';
const rx = createSocket({ type: family });
const tx = createSocket({ type: family });
let sent = 0;
let state = '';
const engine = new BfdEngine({
  send: (_id, data) => {
    tx.send(data, BFD_PORT, peer);
    if (++sent % 5 === 0) console.log(JSON.stringify({ event: 'sent', count: sent }));
  },
  report: (_id, view) => {
    if (view.state === state) return;
    state = view.state;
    console.log(JSON.stringify({ event: 'state', state }));
  },
});
rx.on('message', (data, from) => engine.receive(data, from.address, 255, performance.now()));
rx.bind(BFD_PORT, () => {
  tx.bind(49152 + Math.floor(Math.random() * 16000), () => {
    tx.setTTL(ttl);
    engine.add(
      'peer',
      { peer, timers: { desiredMinTx: 100_000, requiredMinRx: 100_000, detectMult: 3 } },
      performance.now(),
    );
    const loop = (): void => {
      const now = performance.now();
      engine.tick(now);
      const next = engine.nextDeadline() ?? now + 100;
      setTimeout(loop, Math.max(1, next - performance.now()));
    };
    loop();
  });
});
