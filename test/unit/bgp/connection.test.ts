import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock/index.js';
import { Connection, type ConnectionHandlers } from '../../../src/bgp/connection.js';
import { encodeKeepalive } from '../../../src/bgp/codec/index.js';

/** A socket whose peer never reads: writes are accepted into the buffer but never complete. */
function stuckSocket(): Socket {
  const stream = new Duplex({
    writableHighWaterMark: 1,
    write(_chunk, _encoding, _callback) {
      // Never calls back: the bytes never leave.
    },
    read() {},
  });
  return Object.assign(stream, { setNoDelay: () => stream }) as unknown as Socket;
}

function handlers(events: string[]): ConnectionHandlers {
  return {
    message: (_c, m) => events.push(`message:${m.type}`),
    protocolError: (_c, e) => events.push(`error:${e.code}/${e.subcode}`),
    closed: (_c, reason) => events.push(`closed:${reason}`),
    drained: () => events.push('drained'),
    sendHoldExpired: () => events.push('send-hold-expired'),
  };
}

describe('connection', () => {
  it('fires the RFC 9687 send hold timer when writes stay stuck', () => {
    const clock = new ManualClock();
    const events: string[] = [];
    const connection = new Connection(stuckSocket(), true, handlers(events), clock);
    connection.sendHoldTime = 480;
    assert.equal(connection.write(encodeKeepalive()), false, 'the write is buffered, not sent');
    clock.advance(479_000);
    assert.deepEqual(events, []);
    clock.advance(1_000);
    assert.deepEqual(events, ['send-hold-expired']);
  });

  it('has no send hold timer when the hold time is 0', () => {
    const clock = new ManualClock();
    const events: string[] = [];
    const connection = new Connection(stuckSocket(), true, handlers(events), clock);
    connection.write(encodeKeepalive());
    clock.advance(3_600_000);
    assert.deepEqual(events, []);
    assert.equal(clock.timerCount, 0);
  });

  it('delivers messages split across reads one byte at a time', () => {
    const clock = new ManualClock();
    const events: string[] = [];
    const socket = stuckSocket();
    new Connection(socket, true, handlers(events), clock);
    const bytes = Buffer.concat([encodeKeepalive(), encodeKeepalive()]);
    for (const byte of bytes) socket.emit('data', Buffer.from([byte]));
    assert.deepEqual(events, ['message:keepalive', 'message:keepalive']);
  });

  it('reports a framing error once and stops delivering', () => {
    const clock = new ManualClock();
    const events: string[] = [];
    const socket = stuckSocket();
    new Connection(socket, true, handlers(events), clock);
    socket.emit('data', Buffer.concat([encodeKeepalive(), Buffer.alloc(19, 0)]));
    assert.deepEqual(events, ['message:keepalive', 'error:1/1']);
  });
});
