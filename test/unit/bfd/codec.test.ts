import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BfdState,
  decodeBfd,
  diagName,
  encodeBfd,
  type BfdPacket,
  type BfdStateValue,
} from '../../../src/bfd/index.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const state = fc.constantFrom<BfdStateValue>(0, 1, 2, 3);

/** Packets the decoder must accept: what 6.8.6 leaves after its checks. */
const validPacket: fc.Arbitrary<BfdPacket> = fc
  .record({
    version: fc.constant(1),
    diag: fc.integer({ min: 0, max: 31 }),
    state,
    poll: fc.boolean(),
    final: fc.boolean(),
    controlPlaneIndependent: fc.boolean(),
    demand: fc.boolean(),
    detectMult: fc.integer({ min: 1, max: 255 }),
    myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
    yourDiscriminator: u32,
    desiredMinTx: u32,
    requiredMinRx: u32,
    requiredMinEchoRx: u32,
  })
  .filter((p) => p.yourDiscriminator !== 0 || p.state <= BfdState.Down);

describe('BFD codec (RFC 5880 4.1)', () => {
  it('round-trips every valid packet', () => {
    fc.assert(
      fc.property(validPacket, (packet) => {
        const decoded = decodeBfd(encodeBfd(packet));
        assert.ok(decoded.ok);
        assert.deepEqual(decoded.packet, { ...packet });
      }),
    );
  });

  it('matches bytes written by hand (BIRD-style Up packet, 100 ms x 3)', () => {
    const bytes = Buffer.from(
      '20c00318' + '0000002a' + '00000007' + '000186a0' + '000186a0' + '00000000',
      'hex',
    );
    const decoded = decodeBfd(bytes);
    assert.ok(decoded.ok);
    assert.equal(decoded.packet.state, BfdState.Up);
    assert.equal(decoded.packet.detectMult, 3);
    assert.equal(decoded.packet.myDiscriminator, 42);
    assert.equal(decoded.packet.yourDiscriminator, 7);
    assert.equal(decoded.packet.desiredMinTx, 100_000);
    assert.deepEqual(encodeBfd(decoded.packet), bytes);
  });

  it('decodes the first packet BIRD 2.0.12 sent us (captured in a lab)', () => {
    // protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; neighbor …; }
    const bytes = Buffer.from('20400318e196433c00000000000f4240000186a000000000', 'hex');
    const decoded = decodeBfd(bytes);
    assert.ok(decoded.ok);
    assert.deepEqual(
      { ...decoded.packet },
      {
        version: 1,
        diag: 0,
        state: BfdState.Down,
        poll: false,
        final: false,
        controlPlaneIndependent: false,
        demand: false,
        detectMult: 3,
        myDiscriminator: 0xe196433c,
        yourDiscriminator: 0,
        // 6.8.3: not Up, so at least 1 s; it asks for 100 ms.
        desiredMinTx: 1_000_000,
        requiredMinRx: 100_000,
        requiredMinEchoRx: 0,
      },
    );
    assert.deepEqual(encodeBfd(decoded.packet), bytes);
  });

  it('never throws on arbitrary input, and reports why it refuses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const decoded = decodeBfd(data);
        if (!decoded.ok) assert.ok(decoded.detail.length > 0);
      }),
    );
  });

  it('drops what 6.8.6 says to discard', () => {
    const good = encodeBfd({
      version: 1,
      diag: 0,
      state: BfdState.Up,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      detectMult: 3,
      myDiscriminator: 1,
      yourDiscriminator: 2,
      desiredMinTx: 1,
      requiredMinRx: 1,
      requiredMinEchoRx: 0,
    });
    const variant = (edit: (b: Buffer) => void): string => {
      const b = Buffer.from(good);
      edit(b);
      const decoded = decodeBfd(b);
      return decoded.ok ? 'ok' : decoded.problem;
    };
    assert.equal(
      variant(() => undefined),
      'ok',
    );
    assert.equal(decodeBfd(good.subarray(0, 23)).ok, false);
    assert.equal(
      variant((b) => b.writeUInt8(0x40, 0)),
      'version',
    );
    assert.equal(
      variant((b) => b.writeUInt8(30, 3)),
      'length',
    );
    assert.equal(
      variant((b) => b.writeUInt8(20, 3)),
      'length',
    );
    assert.equal(
      variant((b) => b.writeUInt8(b[1]! | 0x04, 1)),
      'length',
    ); // A bit, 24 < 26
    assert.equal(
      variant((b) => b.writeUInt8(0, 2)),
      'detect-mult',
    );
    assert.equal(
      variant((b) => b.writeUInt8(b[1]! | 0x01, 1)),
      'multipoint',
    );
    assert.equal(
      variant((b) => b.writeUInt32BE(0, 4)),
      'my-discriminator',
    );
    assert.equal(
      variant((b) => b.writeUInt32BE(0, 8)),
      'your-discriminator',
    );
    const withAuth = Buffer.concat([good, Buffer.from([1, 2])]);
    withAuth.writeUInt8(withAuth[1]! | 0x04, 1);
    withAuth.writeUInt8(26, 3);
    const decoded = decodeBfd(withAuth);
    assert.equal(decoded.ok ? 'ok' : decoded.problem, 'authentication');
  });

  it('names diagnostics, reserved ones included', () => {
    assert.equal(diagName(1), 'control detection time expired');
    assert.equal(diagName(20), 'reserved (20)');
  });
});
