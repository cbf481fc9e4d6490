/**
 * Reading what `birdc configure` said. birdc's exit status cannot be trusted for this:
 * BIRD 1.x's birdc exits 0 when BIRD refuses the new configuration, BIRD 2's exits 1;
 * both exit 0 when BIRD accepts it, and BIRD 3 then says "Reconfiguration in progress"
 * where BIRD 2 says "Reconfigured". So the answer is read line by line.
 *
 * Follows BIRD's doc/reply_codes and sysdep/unix/main.c (cmd_reconfig_msg):
 *   0001 BIRD x.y ready.            0002 Reading configuration from FILE
 *   0003 Reconfigured               0004 Reconfiguration in progress
 *   0005 Reconfiguration already in progress, queueing new config
 *   0006 Reconfiguration ignored, shutting down
 *   8xxx run-time errors (8002: the configuration does not parse), 9xxx CLI parse errors
 * With `birdc -v` every line carries its code ("0003 Reconfigured"; "-" after the code
 * when more lines follow, a leading space for a continuation). Without -v (a custom
 * command such as anycast-healthchecker's `sudo /usr/sbin/birdc configure`) the codes
 * are gone and the known sentences are matched instead; any other line after "Reading
 * configuration" is an error in BIRD's words ("bird.conf:12:3 syntax error, …" in BIRD
 * 1.6 and later, "bird.conf, line 12: syntax error" before). "Unable to connect to server
 * control socket (PATH): REASON" is birdc's own, on stderr, when BIRD is not there.
 *
 * Known gaps: a configure that BIRD answers with 0004/0005 is counted as accepted: BIRD
 * has committed the new configuration and finishes applying it by itself.
 */

export type ConfigureOutcome =
  /** 0003: the new configuration is active. */
  | 'reconfigured'
  /** 0004: committed, protocols still being reconfigured (what BIRD 3 always says). */
  | 'in-progress'
  /** 0005: another reconfiguration is running; this one is queued after it. */
  | 'queued'
  /** 0006: BIRD is shutting down and ignored it. */
  | 'shutting-down'
  /** An error line (8xxx, 9xxx, or an unknown sentence): BIRD kept its old configuration. */
  | 'rejected'
  /** birdc could not reach BIRD's control socket. */
  | 'unreachable'
  /** Nothing recognisable. */
  | 'unknown';

export interface ConfigureAnswer {
  readonly outcome: ConfigureOutcome;
  /** BIRD took the new configuration (reconfigured, in progress, queued). */
  readonly accepted: boolean;
  /** The deciding line in BIRD's (or birdc's) own words, without its code. */
  readonly message: string;
  /** From the greeting, "2.0.12". */
  readonly version?: string;
  /** The file BIRD read, from "Reading configuration from FILE". */
  readonly configFile?: string;
}

const SUCCESS: Readonly<Record<string, ConfigureOutcome>> = {
  '0003': 'reconfigured',
  '0004': 'in-progress',
  '0005': 'queued',
  '0006': 'shutting-down',
};

/** The sentences of the codes above (and the greeting), for output without codes. */
const SENTENCES: readonly (readonly [RegExp, string])[] = [
  [/^BIRD \S+ ready\.$/, '0001'],
  [/^Reading configuration from /, '0002'],
  [/^Reconfigured$/, '0003'],
  [/^Reconfiguration in progress$/, '0004'],
  [/^Reconfiguration already in progress, queueing/, '0005'],
  [/^Reconfiguration ignored, shutting down$/, '0006'],
  [/^Shutdown (requested|ordered)$/, '0007'],
];

const UNREACHABLE = /^Unable to connect to server control socket\b/;

interface Line {
  code: string | undefined;
  text: string;
}

/** Lines with their reply code (undefined when printed without one); continuations joined. */
export function replyLines(output: string): Line[] {
  const lines: Line[] = [];
  /** The code of the last line that carried one in the output itself (birdc -v). */
  let printedCode: string | undefined;
  for (const raw of output.split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    const coded = /^(\d{4})([ -])(.*)$/.exec(raw);
    if (coded !== null) {
      printedCode = coded[1];
      lines.push({ code: printedCode, text: (coded[3] ?? '').trim() });
      continue;
    }
    // With -v, a line of a multi-line reply that starts with a space continues its code.
    if (raw.startsWith(' ') && printedCode !== undefined) {
      lines.push({ code: printedCode, text: raw.trim() });
      continue;
    }
    const text = raw.trim();
    const known = SENTENCES.find(([re]) => re.test(text));
    lines.push({ code: known?.[1], text });
  }
  return lines;
}

export function parseConfigureAnswer(stdout: string, stderr = ''): ConfigureAnswer {
  const lines = [...replyLines(stderr), ...replyLines(stdout)];
  const version = lines
    .map((l) => /^BIRD (\S+) ready\.$/.exec(l.text)?.[1])
    .find((v) => v !== undefined);
  const configFile = lines
    .filter((l) => l.code === '0002')
    .map((l) => /^Reading configuration from (.+)$/.exec(l.text)?.[1])
    .find((v) => v !== undefined);
  const facts = {
    ...(version === undefined ? {} : { version }),
    ...(configFile === undefined ? {} : { configFile }),
  };

  const unreachable = lines.find((l) => UNREACHABLE.test(l.text));
  if (unreachable !== undefined)
    return { outcome: 'unreachable', accepted: false, message: unreachable.text, ...facts };
  // An error code, or (without codes) a line after "Reading configuration" that is none
  // of BIRD's known sentences. Before that line it is not BIRD talking (sudo, a wrapper).
  const reading = lines.findIndex((l) => l.code === '0002');
  const error = lines.find(
    (l, i) =>
      (l.code === undefined && reading >= 0 && i > reading) ||
      l.code?.startsWith('8') === true ||
      l.code?.startsWith('9') === true,
  );
  if (error !== undefined)
    return { outcome: 'rejected', accepted: false, message: error.text, ...facts };
  for (const line of lines) {
    const outcome = line.code === undefined ? undefined : SUCCESS[line.code];
    if (outcome !== undefined)
      return {
        outcome,
        accepted: outcome !== 'shutting-down',
        message: line.text,
        ...facts,
      };
  }
  const last = lines[lines.length - 1];
  return {
    outcome: 'unknown',
    accepted: false,
    message: last === undefined ? 'no output' : last.text,
    ...facts,
  };
}

export interface RouteList {
  /** Networks BIRD listed, as it printed them ("203.0.113.7/32"). */
  readonly networks: ReadonlySet<string>;
  /** Set when the query failed: BIRD's or birdc's words. */
  readonly error?: string;
}

/**
 * Networks in the output of `birdc show route …` (without -v): BIRD 2 prints each
 * network at the start of a line ("203.0.113.7/32       unicast [direct1 …] * (240)"),
 * further paths of it indented, under "Table NAME:" headings.
 */
export function parseRouteList(stdout: string, stderr = ''): RouteList {
  const networks = new Set<string>();
  let error: string | undefined;
  for (const line of [...replyLines(stderr), ...replyLines(stdout)]) {
    if (line.code === '0001' || /^Table \S+:$/.test(line.text)) continue;
    const network = /^(\S+\/\d{1,3})\s/.exec(`${line.text} `)?.[1];
    if (network !== undefined && /^[0-9a-fA-F:.]+\/\d+$/.test(network)) networks.add(network);
    else if (
      UNREACHABLE.test(line.text) ||
      /syntax error|error|denied|Unknown/i.test(line.text) ||
      (line.code !== undefined && /^[89]/.test(line.code))
    )
      error ??= line.text;
  }
  return { networks, ...(error === undefined ? {} : { error }) };
}
