/**
 * The two ends of bench/drain-loss.ts's traffic, each run as a process in a lab namespace:
 *
 *   serve PORT ADDRESS…    a tiny DNS responder (RFC 1035, UDP) on each ADDRESS: answers
 *                          every question with an A record, until SIGTERM. Bound per
 *                          address, so an answer leaves from the address asked; on
 *                          SIGTERM it prints how many it answered per address.
 *   query ADDRESS PORT RATE
 *                          sends A questions for q<N>.bench. at RATE per second, each with
 *                          its own name, and counts the answers; on SIGTERM it waits 1 s
 *                          for late answers, then prints one JSON line
 *                          { sent, answered, lost, lostSeqs } and exits.
 */
import dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'serve') serve(Number(args[0] ?? 53), args.slice(1));
else if (mode === 'query')
  query(args[0] ?? '203.0.113.53', Number(args[1] ?? 53), Number(args[2] ?? 1000));
else {
  process.stderr.write('usage: drain-loss-dns serve PORT ADDRESS… | query ADDRESS PORT RATE\n');
  process.exit(2);
}

function serve(port: number, addresses: readonly string[]): void {
  // Answers per address, printed on SIGTERM: which node served the traffic.
  const answered: Record<string, number> = {};
  const sockets = addresses.map((address) => {
    const socket = dgram.createSocket('udp4');
    answered[address] = 0;
    socket.on('message', (message, from) => {
      const answer = answerTo(message);
      if (answer === undefined) return;
      socket.send(answer, from.port, from.address);
      answered[address] = (answered[address] ?? 0) + 1;
    });
    return new Promise<dgram.Socket>((resolve) =>
      socket.bind(port, address, () => resolve(socket)),
    );
  });
  void Promise.all(sockets).then((bound) => {
    process.stdout.write(`${JSON.stringify({ event: 'listening', port, addresses })}\n`);
    process.on('SIGTERM', () => {
      for (const socket of bound) socket.close();
      process.stdout.write(`${JSON.stringify({ event: 'stopped', answered })}\n`);
      process.exit(0);
    });
  });
}

function answerTo(message: Buffer): Buffer | undefined {
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(message);
  } catch {
    return undefined;
  }
  const question = packet.questions?.[0];
  if (question === undefined) return undefined;
  return dnsPacket.encode({
    type: 'response',
    id: packet.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [question],
    answers: [{ type: 'A', name: question.name, ttl: 0, data: '203.0.113.53' }],
  });
}

function query(address: string, port: number, rate: number): void {
  const socket = dgram.createSocket('udp4');
  const pending = new Set<number>();
  let sent = 0;
  let answered = 0;
  socket.on('message', (message) => {
    try {
      const name = dnsPacket.decode(message).questions?.[0]?.name ?? '';
      const seq = Number(/^q(\d+)\./.exec(name)?.[1]);
      if (pending.delete(seq)) answered++;
    } catch {
      // Not an answer of ours.
    }
  });
  // Refused (ICMP port unreachable) shows as an error on a connected socket only; ignore.
  socket.on('error', () => undefined);
  const started = process.hrtime.bigint();
  const tick = setInterval(() => {
    // As many as are due by now: the rate holds even when a timer fires late.
    const due = Math.floor((Number(process.hrtime.bigint() - started) / 1e9) * rate);
    while (sent < due) {
      const seq = sent++;
      pending.add(seq);
      const packet = dnsPacket.encode({
        type: 'query',
        id: seq & 0xffff,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: 'A', name: `q${seq}.bench` }],
      });
      socket.send(packet, port, address);
    }
  }, 1);
  process.stdout.write(`${JSON.stringify({ event: 'sending', rate })}\n`);
  process.on('SIGTERM', () => {
    clearInterval(tick);
    setTimeout(() => {
      const lostSeqs = [...pending].sort((a, b) => a - b);
      process.stdout.write(
        `${JSON.stringify({ event: 'done', sent, answered, lost: lostSeqs.length, lostSeqs: lostSeqs.slice(0, 50) })}\n`,
      );
      socket.close(() => process.exit(0));
    }, 1000);
  });
}
