/** Test lab: namespaces, veths, real routing daemons and our speaker in a child process. */
export { Lab, checkLabPrerequisites } from './lab.js';
export type { Link, LinkEnd, LinkOptions, Namespace } from './lab.js';
export {
  BirdRouter,
  FrrRouter,
  GobgpRouter,
  BIRD_TEST_TIMERS,
  DAEMON_BINARIES,
  terminate,
} from './daemons.js';
export type { Router, RouterKind, BirdOptions } from './daemons.js';
export { BirdControl } from './bird-control.js';
export { SpeakerProcess } from './speaker-client.js';
export type { PeerStateEvent, SpeakerExit } from './speaker-client.js';
export type { SpeakerProcessConfig, SpeakerCommand, SpeakerEvent } from './speaker-protocol.js';
export { preciseNow } from './speaker-protocol.js';
export { LabProcess, parseJsonLine } from './process.js';
export type { JsonRecord, OutputLine, ProcessExit, ProcessOptions } from './process.js';
export { HttpService } from './http-service.js';
export type { BreakMode, HttpServiceOptions, HttpServiceStats } from './http-service.js';
export { ExabgpSpeaker, EXABGP_PYTHON, exabgpConf, healthcheckArgv, shellQuote } from './exabgp.js';
export type { ExabgpHealthcheck, ExabgpNeighbor, ExabgpOptions } from './exabgp.js';
export { requireLab, labUnavailableReason } from './require-lab.js';
export { waitFor, waitForExit, isAlive } from './wait.js';
export type { WaitOptions } from './wait.js';
export { run, findExecutable } from './exec.js';
export type { RunOptions, RunResult } from './exec.js';
export { LabUnavailable, LabCommandError, WaitTimeout } from './errors.js';
export * from './routes.js';
export { teardownScope } from './teardown.js';
export type { Teardown, TeardownScope } from './teardown.js';
export { bridgedLink, type BridgedLink, type SilenceMode } from './bridge.js';
