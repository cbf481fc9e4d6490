// OPEN message errors (RFC 4271 6.2), capabilities (RFC 5492) and RFC 9072.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from '../../../../src/bgp/codec/index.js';
import { BgpEncodeError } from '../../../../src/bgp/errors.js';
import type { Capability, OpenMessage } from '../../../../src/bgp/types.js';
import { AS4, assertThrowsBgp, hex, message, toHex } from './support.js';

const reset = 'session-reset' as const;
/** Version 4, AS 65001, hold 90, id 203.0.113.1, then the given Opt Parm Len and parameters. */
function open(optLen: string, params = '', version = '04'): Uint8Array {
  return message(1, version, 'fde9 005a cb007101', optLen, params);
}

function baseOpen(capabilities: Capability[]): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: 65001,
    holdTime: 90,
    routerId: '203.0.113.1',
    capabilities,
  };
}

describe('OPEN decoding errors', () => {
  it('a version other than 4 is Unsupported Version Number (2/1), data = 2-octet 4', () => {
    for (const version of ['03', '05']) {
      assertThrowsBgp(() => decodeMessage(open('00', '', version), AS4), {
        code: 2,
        subcode: 1,
        action: reset,
        data: hex('0004'),
      });
    }
  });

  it('an optional parameter other than capabilities is Unsupported Optional Parameter (2/4)', () => {
    assertThrowsBgp(() => decodeMessage(open('04', '01 02 0000'), AS4), {
      code: 2,
      subcode: 4,
      action: reset,
    });
  });

  it('Opt Parm Len disagreeing with the message is 2/0', () => {
    assertThrowsBgp(() => decodeMessage(open('05', '02 02 0200'), AS4), {
      code: 2,
      subcode: 0,
      action: reset,
    });
    assertThrowsBgp(() => decodeMessage(open('00', '02 02 0200'), AS4), {
      code: 2,
      subcode: 0,
      action: reset,
    });
  });

  it('a parameter overrunning the parameters is 2/0', () => {
    assertThrowsBgp(() => decodeMessage(open('04', '02 05 0200'), AS4), {
      code: 2,
      subcode: 0,
      action: reset,
    });
  });

  it('a capability overrunning its parameter is 2/0', () => {
    assertThrowsBgp(() => decodeMessage(open('04', '02 02 4104'), AS4), {
      code: 2,
      subcode: 0,
      action: reset,
    });
  });

  it('known capabilities with the wrong length are 2/0', () => {
    for (const cap of ['01 03 000100', '02 01 00', '41 02 fde9']) {
      const params = `02 ${(cap.replace(/\s/g, '').length / 2).toString(16).padStart(2, '0')} ${cap}`;
      const len = (params.replace(/\s/g, '').length / 2).toString(16).padStart(2, '0');
      assertThrowsBgp(() => decodeMessage(open(len, params), AS4), {
        code: 2,
        subcode: 0,
        action: reset,
      });
    }
  });

  it('a cut-short RFC 9072 extended length is 2/0', () => {
    assertThrowsBgp(() => decodeMessage(open('ff', 'ff 00'), AS4), {
      code: 2,
      subcode: 0,
      action: reset,
    });
  });
});

describe('OPEN decoding', () => {
  it('accepts no optional parameters', () => {
    assert.deepStrictEqual(decodeMessage(open('00'), AS4), baseOpen([]));
  });

  it('accepts capabilities split across several parameters, unknown ones kept raw', () => {
    const bytes = open('10', '02 06 41 04 fa56ea01' + '02 02 02 00' + '02 02 49 00');
    assert.deepStrictEqual(
      decodeMessage(bytes, AS4),
      baseOpen([
        { kind: 'four-octet-as', asn: 4200000001 },
        { kind: 'route-refresh' },
        { kind: 'unknown', code: 73, value: hex('') },
      ]),
    );
  });

  it('decodes an RFC 9072 extended parameters block even when Opt Parm Len is not 255', () => {
    // RFC 9072 section 2 keys on the Non-Ext OP Type being 255.
    const bytes = open('01', 'ff 0005 02 0002 0200');
    assert.deepStrictEqual(decodeMessage(bytes, AS4), baseOpen([{ kind: 'route-refresh' }]));
  });
});

describe('OPEN encoding', () => {
  it('writes all capabilities in one parameter', () => {
    const bytes = encodeMessage(
      baseOpen([{ kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'route-refresh' }]),
      AS4,
    );
    assert.equal(toHex(bytes), toHex(open('0a', '02 08 01 04 0002 00 01 02 00')));
  });

  it('switches to the RFC 9072 encoding past 255 bytes of parameters, and reads it back', () => {
    const caps: Capability[] = Array.from({ length: 30 }, (_, i) => ({
      kind: 'unknown',
      code: 128 + i,
      value: new Uint8Array(8).fill(i),
    }));
    const bytes = encodeMessage(baseOpen(caps), AS4);
    // 30 capabilities of 10 bytes = 300; parameter header 3; extended header 3.
    assert.equal(toHex(bytes.subarray(28, 35)), 'ff' + 'ff' + '012f' + '02' + '012c');
    assert.equal(bytes.length, 29 + 3 + 3 + 300);
    assert.deepStrictEqual(decodeMessage(bytes, AS4), baseOpen(caps));
  });

  it('rejects values out of range with BgpEncodeError', () => {
    const bad: OpenMessage[] = [
      { ...baseOpen([]), myAs: 65536 },
      { ...baseOpen([]), holdTime: -1 },
      { ...baseOpen([]), routerId: '2001:db8::1' },
      { ...baseOpen([]), routerId: '10.1' },
      baseOpen([{ kind: 'four-octet-as', asn: 2 ** 32 }]),
      baseOpen([{ kind: 'unknown', code: 80, value: new Uint8Array(256) }]),
      baseOpen([{ kind: 'multiprotocol', afi: 1, safi: 256 }]),
    ];
    for (const msg of bad) assert.throws(() => encodeMessage(msg, AS4), BgpEncodeError);
  });
});
