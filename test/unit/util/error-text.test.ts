import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCode, errorMessage, errorReason } from '../../../src/util/index.js';

describe('error text', () => {
  it('errorMessage: an Error gives its message, anything else its string form', () => {
    assert.equal(errorMessage(new Error('disk full')), 'disk full');
    assert.equal(errorMessage('plain string'), 'plain string');
    assert.equal(errorMessage(42), '42');
    assert.equal(errorMessage(undefined), 'undefined');
    // No code appended: callers that want it use errorReason.
    assert.equal(errorMessage(Object.assign(new Error('nope'), { code: 'EACCES' })), 'nope');
  });

  it('errorCode: only a string code counts', () => {
    assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ENOENT');
    assert.equal(errorCode(Object.assign(new Error('x'), { code: 7 })), undefined);
    assert.equal(errorCode(new Error('x')), undefined);
    assert.equal(errorCode(null), undefined);
    assert.equal(errorCode('ENOENT'), undefined);
  });

  it('errorReason: appends the code the message lacks, not one it already names', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    assert.equal(errorReason(refused), 'connect ECONNREFUSED 127.0.0.1:1');
    const tls = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    assert.equal(errorReason(tls), 'certificate has expired (CERT_HAS_EXPIRED)');
  });

  it("errorReason: OpenSSL's short reason instead of its multi-line text, the name for an empty message", () => {
    const ssl = Object.assign(
      new Error('C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number\n'),
      { reason: 'wrong version number', code: 'ERR_SSL_WRONG_VERSION_NUMBER' },
    );
    assert.equal(errorReason(ssl), 'wrong version number (ERR_SSL_WRONG_VERSION_NUMBER)');
    assert.equal(errorReason(new TypeError('')), 'TypeError');
    assert.equal(errorReason('thrown text'), 'thrown text');
  });
});
