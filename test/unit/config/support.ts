// A small registry of check types shaped like the real ones (dns claims `name`,
// cabourotte takes bare strings), so these tests pin the config layer's own rules
// without depending on every check's settings.
import { z } from 'zod';
import type { ConfigCheckType } from '../../../src/config/index.js';

const dns = {
  type: 'dns',
  schema: z.strictObject({
    server: z.string(),
    name: z.string(),
    type: z.enum(['A', 'AAAA']).default('A'),
    expect: z.array(z.string()).default([]),
  }),
  defaultName: (spec: { server: string; name: string; type: string }) =>
    `dns ${spec.name} ${spec.type} @${spec.server}`,
};

const exec = {
  type: 'exec',
  schema: z.strictObject({
    command: z.union([z.array(z.string()).min(1), z.string()], {
      error: 'command must be a list of arguments or a command line string',
    }),
  }),
  defaultName: (spec: { command: string[] | string }) =>
    `exec ${Array.isArray(spec.command) ? spec.command.join(' ') : spec.command}`,
};

const http = {
  type: 'http',
  schema: z.strictObject({
    url: z.string().refine((u) => /^https?:\/\//.test(u), 'url must be an http:// or https:// URL'),
    status: z.number().default(200),
  }),
  defaultName: (spec: { url: string }) => `http ${spec.url}`,
};

const cabourotte = {
  type: 'cabourotte',
  schema: z.strictObject({
    name: z.string().min(1),
    url: z.string().default('http://127.0.0.1:9013'),
  }),
  fromString: (text: string) => ({ name: text }),
  defaultName: (spec: { name: string }) => `cabourotte ${spec.name}`,
};

export const testCheckTypes: readonly ConfigCheckType[] = [dns, exec, http, cabourotte];

/** A valid [bgp] section with one peer; keys appended right after it belong to that peer. */
export const BGP = `
[bgp]
asn = 65001
router_id = "198.18.0.1"
[[bgp.peers]]
address = "198.18.0.2"
asn = 65000
`;

/** A valid service; keys appended right after it belong to it. */
export const SERVICE = `
[services.dns]
prefixes = ["203.0.113.53"]
checks.exec = [{ command = ["/bin/true"] }]
`;
