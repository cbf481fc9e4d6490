/**
 * What vtysh's answer means (FRR 8.4 vtysh in `-c` mode, as captured on Debian bookworm):
 *
 * - vtysh runs the `-c` commands in order and stops at the first one that fails, exiting 1
 *   and printing the daemon's reason on stdout: `% Unknown command: …`, `% Can't find
 *   static route specified` (a `no network` for a prefix it does not have), `BGP is
 *   already running; AS is 65001` (a `router bgp` with another ASN). The commands before
 *   it took effect; the ones after it were not run.
 * - `Exiting: failed to connect to any daemons.` (exit 1): no daemon is reachable on that
 *   pathspace; with `-d bgpd`, bgpd is not running. `bgpd is not running` (exit 1): a
 *   configuration command while bgpd is down.
 * - `% Can't open configuration file /etc/frr/NAME/vtysh.conf …` on stderr is noise
 *   (vtysh.conf is optional; a pathspace rarely has one) and is ignored.
 *
 * The classification is a pure function over (exit code, stdout, stderr) so it is tested
 * on those captured answers.
 */
import type { AnnouncerFailureCode } from '../errors.js';

export interface VtyshAnswer {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type AnswerVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: AnnouncerFailureCode; readonly reason: string };

/** Lines vtysh prints that say nothing about the command (a missing optional vtysh.conf). */
const NOISE = [/^% Can't open configuration file \S*vtysh\.conf\b/];

const UNREACHABLE = [
  /^Exiting: failed to connect to any daemons\.?$/,
  /^\S+ is not running$/,
  /^% Connection refused/i,
  /failed to connect to/i,
];

/** FRR's own words: the lines of an answer that are not noise. */
export function meaningfulLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !NOISE.some((re) => re.test(l)));
}

/** The first line that states an error: `% …`, vtysh's `Exiting: …`, or a bgpd refusal. */
export function errorLine(answer: VtyshAnswer): string | undefined {
  const lines = [...meaningfulLines(answer.stdout), ...meaningfulLines(answer.stderr)];
  return (
    lines.find((l) => UNREACHABLE.some((re) => re.test(l))) ??
    lines.find((l) => l.startsWith('%')) ??
    lines.find((l) => /already running|not running|is locked|denied|error|invalid|failed/i.test(l))
  );
}

/**
 * Did vtysh do what it was asked? A zero exit is success (FRR prints nothing for a
 * configuration command that worked, and a warning it prints is not a refusal; the caller
 * verifies the result in the configuration anyway), unless no daemon was reached.
 */
export function classifyAnswer(answer: VtyshAnswer): AnswerVerdict {
  const line = errorLine(answer);
  if (line !== undefined && UNREACHABLE.some((re) => re.test(line)))
    return { ok: false, code: 'ANNOUNCER_DAEMON_UNREACHABLE', reason: line };
  if (answer.exitCode === 0) return { ok: true };
  if (line !== undefined) return { ok: false, code: 'ANNOUNCER_REJECTED', reason: line };
  const other = [...meaningfulLines(answer.stdout), ...meaningfulLines(answer.stderr)][0];
  return {
    ok: false,
    code: 'ANNOUNCER_COMMAND_FAILED',
    reason: `exit code ${answer.exitCode}: ${other ?? 'no output'}`,
  };
}
