import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressError, IpCommandError } from '../../../src/addresses/index.js';
import { AnnouncerFailure } from '../../../src/announcers/errors.js';
import { ApiError, DrainStoreError } from '../../../src/api/index.js';
import {
  BgpEncodeError,
  BgpProtocolError,
  CommunityError,
  PrefixError,
  SpeakerConfigError,
} from '../../../src/bgp/index.js';
import { CheckError } from '../../../src/checks/errors.js';
import { CheckTimeoutError } from '../../../src/checks/runner.js';
import { ApiClientError } from '../../../src/cli/api-client.js';
import { LocateError } from '../../../src/client/locate.js';
import { ConfigError } from '../../../src/config/index.js';
import { DaemonError } from '../../../src/daemon/index.js';
import { CanonicalError } from '../../../src/director/canonical.js';
import { DirectorError } from '../../../src/director/errors.js';
import { HttpError } from '../../../src/http/index.js';
import {
  HealthcheckArgsError,
  ImportError,
  IniError,
  ShlexError,
} from '../../../src/import/index.js';

// Logs and programs match on `kind`; these strings are a contract, so a rename fails here.
const KIND = /^[a-z]+\.[a-z_]+$/;

describe('error kinds', () => {
  const cases: [Error & { kind: string }, string][] = [
    [new ConfigError('CONFIG_SYNTAX', 'f.toml', []), 'config.syntax'],
    [new ConfigError('CONFIG_INVALID', 'f.toml', []), 'config.invalid'],
    [new ConfigError('CONFIG_TOO_LARGE', 'f.toml', []), 'config.too_large'],
    [new CheckError('CHECK_SCHEDULER_MISUSE', 'x'), 'check.scheduler_misuse'],
    [new CheckTimeoutError(1), 'check.timeout'],
    [new AnnouncerFailure('ANNOUNCER_COMMAND_FAILED', 'x'), 'announcer.command_failed'],
    [new AnnouncerFailure('ANNOUNCER_DAEMON_UNREACHABLE', 'x'), 'announcer.daemon_unreachable'],
    [new AddressError('ADDRESS_PERMISSION_DENIED', 'x'), 'address.permission_denied'],
    [new IpCommandError(['ip', 'addr'], 2, '', 'exit 2'), 'address.ip_command_failed'],
    [new DirectorError('AD_BAD_SIGNATURE', 'x'), 'director.ad_bad_signature'],
    [new DirectorError('DIRECTOR_UNREACHABLE', 'x'), 'director.unreachable'],
    [new DirectorError('PERMIT_INVALID', 'x'), 'director.permit_invalid'],
    [new DirectorError('PERMIT_UNTRUSTED', 'x'), 'director.permit_untrusted'],
    [new DirectorError('PERMIT_BAD_SIGNATURE', 'x'), 'director.permit_bad_signature'],
    [new DirectorError('PERMIT_CLOCK', 'x'), 'director.permit_clock'],
    [new CanonicalError('x'), 'director.not_canonical'],
    [new DaemonError('x'), 'daemon.failed'],
    [new HttpError(404, 'x'), 'http.request_refused'],
    [new ApiError('x'), 'api.failed'],
    [new DrainStoreError('x'), 'api.drain_store'],
    [new ApiClientError('x', 500), 'cli.api_request'],
    [new LocateError('x', []), 'client.locate_failed'],
    [new ImportError('x'), 'import.unreadable'],
    [new IniError('f.ini', 3, 'x'), 'import.ini_syntax'],
    [new ShlexError('x'), 'import.shlex_syntax'],
    [new HealthcheckArgsError('x'), 'import.healthcheck_args'],
    [new BgpProtocolError(1, 1, 'x'), 'bgp.protocol_error'],
    [new BgpEncodeError('x'), 'bgp.encode_error'],
    [new PrefixError('x'), 'bgp.invalid_prefix'],
    [new CommunityError('x'), 'bgp.invalid_community'],
    [new SpeakerConfigError('peers[0].asn', 'x'), 'bgp.speaker_config'],
  ];
  for (const [error, kind] of cases) {
    it(`${error.name}: ${kind}`, () => {
      assert.equal(error.kind, kind);
      assert.match(error.kind, KIND);
      assert.ok(!('errorCode' in error), 'errorCode was never read and is gone');
    });
  }
});
