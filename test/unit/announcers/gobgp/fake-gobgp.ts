// A stand-in for the gobgp CLI talking to gobgpd, for the backend's unit tests: it keeps
// local paths (added and deleted the way `gobgp global rib add|del` does: an add replaces
// the prefix's local path with exactly what it names) and neighbours' paths, and prints
// `-j global rib` in GoBGP 3.10's JSON (fixtures.ts has the real thing). The real CLI and
// gobgpd are tested in test/e2e/announcers/gobgp.test.ts.
import type { CommandOptions, CommandResult } from '../../../../src/announcers/index.js';
import { parseCommunity } from '../../../../src/bgp/index.js';
import * as f from './fixtures.js';

interface Attrs {
  origin: number;
  asPath: number[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  communities: number[];
  large: { ASN: number; LocalData1: number; LocalData2: number }[];
}

const ORIGIN: Record<string, number> = { igp: 0, egp: 1, incomplete: 2 };

export class FakeGobgp {
  /** false: nothing answers on the API port. */
  up = true;
  /** false: gobgpd runs without a [global] section. */
  started = true;
  asn = 65001;
  readonly local = new Map<string, Attrs>();
  /** Paths neighbours sent, by prefix (never to be touched). */
  readonly learned = new Map<string, object>();
  readonly calls: string[][] = [];
  /** Adds of these prefixes fail like a parse error. */
  readonly refuse = new Set<string>();

  /** Commands that changed something (add / del), as "add PREFIX …" / "del PREFIX". */
  writes(): string[] {
    return this.calls
      .map((argv) => argv.slice(argv.indexOf('rib') + 3))
      .filter((rest) => rest[0] === 'add' || rest[0] === 'del')
      .map((rest) => rest.join(' '));
  }

  readonly run = (argv: readonly string[], _options?: CommandOptions): Promise<CommandResult> => {
    const args = [...argv.slice(1)];
    this.calls.push([...argv]);
    let json = false;
    const words: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-u' || a === '-p' || a === '--target') i++;
      else if (a === '-j') json = true;
      else words.push(a);
    }
    const result = (exitCode: number, stdout: string): Promise<CommandResult> =>
      Promise.resolve({ exitCode, stdout, stderr: '' });
    if (!this.up) return result(1, json ? f.DOWN_JSON : f.DOWN_TEXT);
    if (words.join(' ') === 'global')
      return result(0, this.started ? JSON.stringify({ asn: this.asn }) + '\n' : '{}\n');
    if (!this.started) return result(1, json ? f.NOT_STARTED_JSON : f.NOT_STARTED_TEXT);
    const [g, r, dashA, family, verb, prefix, ...rest] = words;
    if (g !== 'global' || r !== 'rib' || dashA !== '-a' || family === undefined)
      return result(1, `unknown command ${words.join(' ')}\n`);
    if (verb === 'add' && prefix !== undefined) {
      if (this.refuse.has(prefix)) return result(1, f.PARSE_ERROR);
      this.local.set(prefix, parseAdd(rest));
      return result(0, '');
    }
    if (verb === 'del' && prefix !== undefined) {
      this.local.delete(prefix);
      return result(0, '');
    }
    return result(0, JSON.stringify(this.render(family, verb)) + '\n');
  };

  private render(family: string, only?: string): Record<string, object[]> {
    const out: Record<string, object[]> = {};
    const v6 = family === 'ipv6';
    const prefixes = new Set([...this.local.keys(), ...this.learned.keys()]);
    for (const prefix of prefixes) {
      if (prefix.includes(':') !== v6 || (only !== undefined && only !== prefix)) continue;
      const paths: object[] = [];
      const a = this.local.get(prefix);
      if (a !== undefined) {
        const attrs: object[] = [{ type: 1, value: a.origin }];
        if (a.asPath.length > 0)
          attrs.push({
            type: 2,
            as_paths: [{ segment_type: 2, num: a.asPath.length, asns: a.asPath }],
          });
        if (a.med !== undefined) attrs.push({ type: 4, metric: a.med });
        if (a.localPref !== undefined) attrs.push({ type: 5, value: a.localPref });
        if (a.communities.length > 0) attrs.push({ type: 8, communities: a.communities });
        if (a.large.length > 0) attrs.push({ type: 32, value: a.large });
        attrs.push(
          v6
            ? { type: 14, nexthop: a.nextHop ?? '::', afi: 2, safi: 1, value: [{ prefix }] }
            : { type: 3, nexthop: a.nextHop ?? '0.0.0.0' },
        );
        paths.push({ nlri: { prefix }, age: 1796186803, best: true, attrs, stale: false });
      }
      const learned = this.learned.get(prefix);
      if (learned !== undefined) paths.push(learned);
      out[prefix] = paths;
    }
    return out;
  }
}

function parseAdd(words: string[]): Attrs {
  const attrs: Attrs = { origin: 2, asPath: [], communities: [], large: [] };
  for (let i = 0; i < words.length; i += 2) {
    const value = words[i + 1] ?? '';
    switch (words[i]) {
      case 'origin':
        attrs.origin = ORIGIN[value] ?? 2;
        break;
      case 'aspath':
        attrs.asPath = value.split(',').map(Number);
        break;
      case 'nexthop':
        attrs.nextHop = value;
        break;
      case 'med':
        attrs.med = Number(value);
        break;
      case 'local-pref':
        attrs.localPref = Number(value);
        break;
      case 'community':
        attrs.communities = value.split(',').map(parseCommunity);
        break;
      case 'large-community':
        attrs.large = value.split(',').map((c) => {
          const [a, b, d] = c.split(':').map(Number);
          return { ASN: a ?? 0, LocalData1: b ?? 0, LocalData2: d ?? 0 };
        });
        break;
      default:
        throw new Error(`fake gobgp: unknown word ${words[i]}`);
    }
  }
  return attrs;
}

/** A neighbour's path for a prefix, as gobgp prints it. */
export function learnedPath(prefix: string): object {
  return {
    nlri: { prefix },
    age: 1796186669,
    best: false,
    attrs: [
      { type: 1, value: 0 },
      { type: 2, as_paths: [{ segment_type: 2, num: 1, asns: [65000] }] },
      { type: 3, nexthop: '198.18.200.2' },
    ],
    stale: false,
    'source-id': '198.18.200.2',
    'neighbor-ip': '198.18.200.2',
  };
}
