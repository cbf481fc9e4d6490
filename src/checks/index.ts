/**
 * Health checks: the registry of check types the config layer validates items
 * against, the runner that bounds one probe by its timeout, and the scheduler
 * that runs checks on their intervals.
 */
import { cabourotteCheck } from './cabourotte.js';
import { dnsCheck } from './dns.js';
import { execCheck } from './exec.js';
import { fileCheck } from './file.js';
import { httpCheck } from './http.js';
import { nginxCheck } from './nginx.js';
import { processCheck } from './process.js';
import { systemCheck } from './system.js';
import { systemdCheck } from './systemd-unit.js';
import { tcpCheck } from './tcp.js';
import { tlsCheck } from './tls.js';
import type { CheckType } from './types.js';

export type * from './types.js';
export { checkTriggers, provesServiceGone } from './types.js';
export { CheckError, type CheckErrorCode } from './errors.js';
export { runCheck, CheckTimeoutError } from './runner.js';
export {
  CheckScheduler,
  hashSplay,
  splayFraction,
  type CheckResultListener,
  type CheckSchedulerOptions,
  type CheckStats,
  type CheckTiming,
} from './scheduler.js';
export { splitCommand, joinCommand } from './command-line.js';
export { createExecCheck, type ExecSpec } from './exec.js';
export type { HttpSpec } from './http.js';
export type { TcpSpec } from './tcp.js';
export type { DnsSpec } from './dns.js';
export type { TlsSpec } from './tls.js';
export type { FileSpec } from './file.js';
export type { CabourotteSpec } from './cabourotte.js';
export type { SystemSpec } from './system.js';
export type { NginxSpec } from './nginx.js';
export type { ProcessSpec } from './process.js';
export type { SystemdSpec } from './systemd-unit.js';

/**
 * A check type with its spec type forgotten. `never` rather than `unknown`: what
 * `schema` parses comes out typed `never` and is the only thing `create` takes
 * without a cast, so a spec cannot reach the wrong type's factory by accident.
 */
export type AnyCheckType = CheckType<never>;

function erase<Spec>(type: CheckType<Spec>): AnyCheckType {
  return type as unknown as AnyCheckType;
}

/** Every check type, by the name used as `checks.<type>` in the config. */
export const checkTypes: Readonly<Record<string, AnyCheckType>> = Object.freeze({
  exec: erase(execCheck),
  http: erase(httpCheck),
  tcp: erase(tcpCheck),
  dns: erase(dnsCheck),
  tls: erase(tlsCheck),
  file: erase(fileCheck),
  cabourotte: erase(cabourotteCheck),
  system: erase(systemCheck),
  nginx: erase(nginxCheck),
  process: erase(processCheck),
  systemd: erase(systemdCheck),
});

export const checkTypeNames: readonly string[] = Object.freeze(Object.keys(checkTypes));
