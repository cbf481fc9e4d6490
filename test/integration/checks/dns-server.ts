/**
 * A tiny authoritative DNS server for tests, on dns-packet, answering over UDP
 * and TCP on the same loopback port. Special names misbehave on purpose.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface DnsTestServer {
  readonly port: number;
  readonly address: string;
  /** Protocol of each query received, with its name. */
  readonly queries: { protocol: 'udp' | 'tcp'; name: string; type: string }[];
  close(): Promise<void>;
}

const zone: dnsPacket.Answer[] = [
  { type: 'A', name: 'example.test', ttl: 60, data: '203.0.113.10' },
  { type: 'A', name: 'example.test', ttl: 60, data: '203.0.113.11' },
  { type: 'AAAA', name: 'example.test', ttl: 60, data: '2001:db8::1' },
  { type: 'TXT', name: 'example.test', ttl: 60, data: ['v=spf1 ', '-all'] },
  {
    type: 'MX',
    name: 'example.test',
    ttl: 60,
    data: { preference: 10, exchange: 'mail.example.test' },
  },
  { type: 'NS', name: 'example.test', ttl: 60, data: 'ns1.example.test' },
  {
    type: 'SOA',
    name: 'example.test',
    ttl: 60,
    data: {
      mname: 'ns1.example.test',
      rname: 'hostmaster.example.test',
      serial: 2024010101,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 60,
    },
  },
  { type: 'CNAME', name: 'www.example.test', ttl: 60, data: 'example.test' },
  { type: 'PTR', name: '10.113.0.203.in-addr.arpa', ttl: 60, data: 'example.test' },
  {
    type: 'SRV',
    name: '_sip._tcp.example.test',
    ttl: 60,
    data: { priority: 10, weight: 5, port: 5060, target: 'sip.example.test' },
  },
  ...Array.from({ length: 40 }, (_, i): dnsPacket.Answer => ({
    type: 'TXT',
    name: 'big.example.test',
    ttl: 60,
    data: `record number ${i} with some padding to make the answer large`,
  })),
];

const names = new Set(zone.map((a) => a.name));
names.add('empty.example.test');

/** The reply to a query, or undefined to stay silent. */
function answer(query: dnsPacket.DecodedPacket, protocol: 'udp' | 'tcp'): Buffer | undefined {
  const question = query.questions?.[0];
  if (question === undefined) return undefined;
  const name = question.name.toLowerCase();
  const base = {
    type: 'response' as const,
    id: query.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [question],
  };
  switch (name) {
    case 'slow.example.test':
      return undefined;
    case 'badid.example.test':
      return dnsPacket.encode({ ...base, id: ((query.id ?? 0) + 1) % 65536 });
    case 'badq.example.test':
      return dnsPacket.encode({
        ...base,
        questions: [{ ...question, name: 'other.example.test' }],
      });
    case 'servfail.example.test':
      return dnsPacket.encode({ ...base, flags: 2 });
    case 'garbage.example.test':
      return Buffer.from([0x12]);
  }
  if (!names.has(name)) return dnsPacket.encode({ ...base, flags: base.flags | 3 }); // NXDOMAIN
  const answers = zone.filter(
    (a) => a.name === name && (a.type === question.type || a.type === 'CNAME'),
  );
  // CNAME chains: follow one step for other types, as a resolver would show it.
  const chased = answers.flatMap((a) =>
    a.type === 'CNAME' && question.type !== 'CNAME'
      ? [a, ...zone.filter((b) => b.name === a.data && b.type === question.type)]
      : a.type === 'CNAME' && question.type === 'CNAME'
        ? [a]
        : a.type === 'CNAME'
          ? []
          : [a],
  );
  const reply = dnsPacket.encode({ ...base, answers: chased });
  if (protocol === 'udp' && reply.length > 512) {
    return dnsPacket.encode({ ...base, flags: base.flags | dnsPacket.TRUNCATED_RESPONSE });
  }
  return reply;
}

export async function startDnsServer(address = '127.0.0.1'): Promise<DnsTestServer> {
  const queries: DnsTestServer['queries'] = [];
  const record = (query: dnsPacket.DecodedPacket, protocol: 'udp' | 'tcp'): void => {
    const q = query.questions?.[0];
    queries.push({ protocol, name: q?.name ?? '', type: q?.type ?? '' });
  };
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => udp.bind(0, address, resolve));
    const port = udp.address().port;
    const sockets = new Set<net.Socket>();
    const tcp = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const length = buffered.readUInt16BE(0);
          const query = dnsPacket.decode(buffered.subarray(2, 2 + length));
          buffered = buffered.subarray(2 + length);
          record(query, 'tcp');
          const reply = answer(query, 'tcp');
          if (reply !== undefined) {
            const prefix = Buffer.alloc(2);
            prefix.writeUInt16BE(reply.length);
            socket.write(Buffer.concat([prefix, reply]));
          }
        }
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, address, () => resolve(true));
    });
    if (!listening) {
      udp.close();
      if (attempt < 10) continue;
      throw new Error('could not bind UDP and TCP to one port');
    }
    udp.on('message', (message, remote) => {
      const query = dnsPacket.decode(message);
      record(query, 'udp');
      const reply = answer(query, 'udp');
      if (reply !== undefined) udp.send(reply, remote.port, remote.address);
    });
    return {
      port,
      address,
      queries,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ]);
      },
    };
  }
}
