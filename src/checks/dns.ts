/**
 * dns: asks one server one question (RFC 1035) over UDP or TCP (RFC 1035
 * section 4.2.2 length prefix; RFC 7766) and checks the rcode and the answers.
 *
 * - The reply must carry the query's id and repeat its question (RFC 1035
 *   section 7.3); a reply that does not is a failure, not ignored: the check
 *   talks to one server directly, so a mismatch means that server is broken.
 * - A truncated UDP reply (TC bit) is retried over TCP (RFC 7766 section 5).
 * - `expect` lists answers that must all be present among the answers of the
 *   queried type (others may be present too). Addresses are compared
 *   canonically (2001:db8::1 equals 2001:0db8:0::1); names case-insensitively
 *   and without the trailing dot; TXT as the concatenation of its strings; MX,
 *   SRV and SOA either in full ("10 mail.example.org") or by their target name.
 * - With rcode NOERROR and no `expect`, at least one answer of the type is
 *   required: an empty NOERROR (NODATA) is how a broken zone usually looks.
 *
 * Known gaps: no EDNS(0), no DNSSEC validation, one question per query.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import type * as dnsPacket from 'dns-packet';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import { elapsedMs, fail, formatMs, joinHostPort, monotonicNow, onAbort, pass } from './util.js';
import { errorReason } from '../util/index.js';

export const dnsTypes = ['A', 'AAAA', 'TXT', 'CNAME', 'MX', 'NS', 'SOA', 'PTR', 'SRV'] as const;
export type DnsType = (typeof dnsTypes)[number];

/** RFC 1035 section 4.1.1 and RFC 2136 section 2.2. */
export const rcodes = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
] as const;
export type Rcode = (typeof rcodes)[number];

export interface DnsServer {
  readonly address: string;
  readonly port: number;
}

export interface DnsSpec {
  readonly server: DnsServer;
  readonly name: string;
  readonly type: DnsType;
  readonly expect: readonly string[];
  readonly protocol: 'udp' | 'tcp';
  readonly rcode: Rcode;
}

/** "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353". */
export function parseServer(text: string): DnsServer | undefined {
  let address = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4WithPort = /^([\d.]+):(\d+)$/.exec(text);
  if (bracketed !== null) {
    address = bracketed[1] ?? '';
    portText = bracketed[2];
    if (net.isIPv6(address) === false) return undefined;
  } else if (v4WithPort !== null) {
    address = v4WithPort[1] ?? '';
    portText = v4WithPort[2];
    if (!net.isIPv4(address)) return undefined;
  } else if (net.isIP(text) === 0) {
    return undefined;
  }
  const port = portText === undefined ? 53 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { address, port };
}

function isDomainName(text: string): boolean {
  if (text === '.') return true;
  const bare = text.endsWith('.') ? text.slice(0, -1) : text;
  if (bare.length === 0 || bare.length > 253) return false;
  return bare
    .split('.')
    .every((label) => label.length >= 1 && label.length <= 63 && !/[\s\\]/.test(label));
}

export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') && lower !== '.' ? lower.slice(0, -1) : lower;
}

function canonicalAddress(text: string): string | undefined {
  try {
    return ipaddr.parse(text).toNormalizedString();
  } catch {
    return undefined;
  }
}

/** How an expected value is compared: its canonical text for the record type. */
export function canonicalExpected(type: DnsType, text: string): string {
  if (type === 'A' || type === 'AAAA') return canonicalAddress(text.trim()) ?? text;
  if (type === 'TXT') return text;
  return text.trim().split(/\s+/).map(normalizeName).join(' ');
}

function txtText(data: unknown): string {
  const parts = Array.isArray(data) ? data : [data];
  return parts
    .map((part) => (Buffer.isBuffer(part) ? part.toString('utf8') : String(part)))
    .join('');
}

/** The forms an answer can be expected as, canonical first for display. */
export function answerForms(answer: dnsPacket.Answer): string[] {
  switch (answer.type) {
    case 'A':
    case 'AAAA':
      return [answer.data];
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return [answer.data];
    case 'TXT':
      return [txtText(answer.data)];
    case 'MX':
      return [`${answer.data.preference ?? 0} ${answer.data.exchange}`, answer.data.exchange];
    case 'SRV':
      return [
        `${answer.data.priority ?? 0} ${answer.data.weight ?? 0} ${answer.data.port} ${answer.data.target}`,
        answer.data.target,
      ];
    case 'SOA': {
      const soa = answer.data;
      return [
        `${soa.mname} ${soa.rname} ${soa.serial ?? 0} ${soa.refresh ?? 0} ${soa.retry ?? 0} ${soa.expire ?? 0} ${soa.minimum ?? 0}`,
        soa.mname,
      ];
    }
    default:
      return [];
  }
}

const serverError =
  'server must be an IP address, optionally with a port ("127.0.0.1:5353", "[::1]:5353")';

export const dnsSchema = z
  .strictObject({
    server: z.string({ error: serverError }).transform((text, ctx): DnsServer => {
      const server = parseServer(text);
      if (server === undefined) {
        ctx.addIssue({ code: 'custom', message: serverError, input: text });
        return z.NEVER;
      }
      return server;
    }),
    name: z
      .string({ error: 'name must be a string' })
      .refine(isDomainName, { error: 'name must be a domain name such as "example.org"' }),
    type: z
      .string({ error: 'type must be a string' })
      .transform((text) => text.toUpperCase())
      .pipe(z.enum(dnsTypes, { error: `type must be one of ${dnsTypes.join(', ')}` }))
      .default('A'),
    expect: z
      .array(z.string({ error: 'expect entries must be strings' }), {
        error: 'expect must be a list of answers',
      })
      .default([]),
    protocol: z.enum(['udp', 'tcp'], { error: 'protocol must be "udp" or "tcp"' }).default('udp'),
    rcode: z
      .string({ error: 'rcode must be a string' })
      .transform((text) => text.toUpperCase())
      .pipe(z.enum(rcodes, { error: `rcode must be one of ${rcodes.join(', ')}` }))
      .default('NOERROR'),
  })
  .superRefine((spec, ctx) => {
    if (spec.type !== 'A' && spec.type !== 'AAAA') return;
    const family = spec.type === 'A' ? 4 : 6;
    spec.expect.forEach((value, index) => {
      if (net.isIP(value.trim()) !== family) {
        ctx.addIssue({
          code: 'custom',
          path: ['expect', index],
          message: `${JSON.stringify(value)} is not an IPv${family} address (type ${spec.type})`,
        });
      }
    });
    if (spec.expect.length > 0 && spec.rcode !== 'NOERROR') {
      ctx.addIssue({
        code: 'custom',
        path: ['expect'],
        message: `expect needs rcode NOERROR (answers cannot come with ${spec.rcode})`,
      });
    }
  });

type DnsPacketLibrary = typeof dnsPacket;
let library: Promise<DnsPacketLibrary> | undefined;

/** dns-packet, loaded at the first dns check's first run: a daemon without one never loads it. */
function dnsPacketLibrary(): Promise<DnsPacketLibrary> {
  library ??= import('dns-packet');
  return library;
}

/** RFC 1035 section 4.1.1: the RD bit of the header's flags. */
const RECURSION_DESIRED = 1 << 8;

/** One query over UDP or TCP; resolves with the raw reply. */
function exchangeUdp(server: DnsServer, query: Uint8Array, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(server.address) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (error: Error | undefined, reply?: Buffer): void => {
      if (done) return;
      done = true;
      detach();
      socket.close();
      if (error !== undefined) reject(error);
      else if (reply !== undefined) resolve(reply);
    };
    let detach = (): void => undefined;
    detach = onAbort(signal, () => finish(new Error('aborted')));
    socket.on('error', (error) => finish(error));
    socket.on('message', (message) => finish(undefined, message));
    socket.connect(server.port, server.address, () => {
      if (!done) socket.send(query);
    });
  });
}

/** `query` with its 2-byte length prefix (RFC 1035 section 4.2.2). */
function exchangeTcp(server: DnsServer, query: Uint8Array, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.address, port: server.port });
    let buffered = Buffer.alloc(0);
    let done = false;
    let detach = (): void => undefined;
    const finish = (error: Error | undefined, reply?: Buffer): void => {
      if (done) return;
      done = true;
      detach();
      socket.destroy();
      if (error !== undefined) reject(error);
      else if (reply !== undefined) resolve(reply);
    };
    detach = onAbort(signal, () => finish(new Error('aborted')));
    socket.on('connect', () => socket.write(query));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length >= 2 + length) finish(undefined, buffered.subarray(2, 2 + length));
    });
    socket.on('end', () =>
      finish(new Error('server closed the TCP connection before a full reply')),
    );
    socket.on('error', (error) => finish(error));
  });
}

export function createDnsCheck(spec: DnsSpec, common: CheckCommon): HealthCheck {
  const where = joinHostPort(spec.server.address, spec.server.port);
  const qname = normalizeName(spec.name);
  const expected = spec.expect.map((text) => ({
    text,
    canonical: canonicalExpected(spec.type, text),
  }));
  return {
    ...common,
    type: 'dns',
    async run(signal: AbortSignal): Promise<CheckResult> {
      const start = monotonicNow();
      const packets = await dnsPacketLibrary();
      const id = randomInt(0, 65536);
      const query: dnsPacket.Packet = {
        type: 'query',
        id,
        flags: RECURSION_DESIRED,
        questions: [{ type: spec.type, class: 'IN', name: spec.name }],
      };
      let note = '';
      let raw: Buffer;
      try {
        raw =
          spec.protocol === 'tcp'
            ? await exchangeTcp(spec.server, packets.streamEncode(query), signal)
            : await exchangeUdp(spec.server, packets.encode(query), signal);
        if (spec.protocol === 'udp' && raw.length >= 4 && (raw.readUInt16BE(2) & 0x0200) !== 0) {
          raw = await exchangeTcp(spec.server, packets.streamEncode(query), signal);
          note = ' (truncated over UDP, retried over TCP)';
        }
      } catch (error) {
        return fail(`${spec.protocol} ${where}: ${errorReason(error)}`, elapsedMs(start), error);
      }
      const duration = elapsedMs(start);
      let reply: dnsPacket.DecodedPacket;
      try {
        reply = packets.decode(raw);
      } catch (error) {
        return fail(`malformed reply from ${where}: ${errorReason(error)}`, duration);
      }
      if (reply.type !== 'response')
        return fail(`reply from ${where} has the QR bit clear`, duration);
      if (reply.id !== id) {
        return fail(`reply id ${reply.id ?? '?'} does not match query id ${id}`, duration);
      }
      const rcode = rcodes[(reply.flags ?? 0) & 0xf] ?? `RCODE${(reply.flags ?? 0) & 0xf}`;
      const questions = reply.questions ?? [];
      const question = questions[0];
      const omittedOnError = questions.length === 0 && rcode !== 'NOERROR';
      if (
        !omittedOnError &&
        (questions.length !== 1 ||
          question === undefined ||
          normalizeName(question.name) !== qname ||
          question.type !== spec.type)
      ) {
        const got = questions.map((q) => `${q.name} ${q.type}`).join(', ');
        return fail(
          `reply question (${got === '' ? 'none' : got}) does not match the query (${spec.name} ${spec.type})`,
          duration,
        );
      }
      if (rcode !== spec.rcode) {
        return fail(
          `${rcode} for ${spec.name} ${spec.type}, expected ${spec.rcode}${note}`,
          duration,
        );
      }
      const answers = (reply.answers ?? []).filter((answer) => answer.type === spec.type);
      const forms = answers.map(answerForms);
      const shown = forms.map((f) => f[0] ?? '').join(', ');
      const took = formatMs(duration);
      if (rcode !== 'NOERROR') return pass(`${rcode} as expected in ${took}${note}`, duration);
      if (expected.length === 0 && answers.length === 0) {
        return fail(`NOERROR but no ${spec.type} answers for ${spec.name}${note}`, duration);
      }
      const present = new Set(
        forms.flatMap((f) => f.map((form) => canonicalExpected(spec.type, form))),
      );
      const missing = expected.filter((e) => !present.has(e.canonical)).map((e) => e.text);
      if (missing.length > 0) {
        return fail(
          `missing ${missing.join(', ')} in the ${spec.type} answers for ${spec.name} (got: ${shown === '' ? 'none' : shown})${note}`,
          duration,
        );
      }
      return pass(`NOERROR, ${answers.length} ${spec.type} (${shown}) in ${took}${note}`, duration);
    },
  };
}

export const dnsCheck: CheckType<DnsSpec> = {
  type: 'dns',
  schema: dnsSchema,
  defaultName: (spec) =>
    `dns ${spec.name} ${spec.type} @${joinHostPort(spec.server.address, spec.server.port)}`,
  create: (spec, common) => createDnsCheck(spec, common),
};
