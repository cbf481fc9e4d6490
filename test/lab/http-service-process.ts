/**
 * Child side: a small HTTP service that can be broken and mended on command.
 *
 *   [ip netns exec NS] node dist/test/lab/http-service-process.js HOST PORT
 *
 * Answers `GET /health` (and any other path) with 200 "ok" while healthy. Commands on
 * stdin and events on stdout: http-service-protocol.ts. PORT 0 picks a free port (the
 * `ready` event names it). Exits on stdin EOF or SIGTERM.
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type {
  BreakMode,
  HttpServiceCommand,
  HttpServiceEvent,
  HttpServiceStats,
} from './http-service-protocol.js';

function emit(event: HttpServiceEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? '0');

let mode: BreakMode | undefined;
let listening = false;
let boundPort: number | undefined;
let firstFailAt: number | undefined;
const stats = { ok: 0, errors: 0, hung: 0 };
const hanging = new Set<ServerResponse>();
const sockets = new Set<Socket>();

const server = createServer((request, response) => {
  request.resume();
  if (mode === 'hang') {
    firstFailAt ??= Date.now();
    stats.hung++;
    hanging.add(response);
    response.once('close', () => hanging.delete(response));
    return;
  }
  if (mode === 'error') {
    stats.errors++;
    // Taken before the answer is written: the checker may act on it within the same ms.
    firstFailAt ??= Date.now();
    response.writeHead(503, { 'content-type': 'text/plain' }).end('broken\n');
    return;
  }
  stats.ok++;
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
});
server.keepAliveTimeout = 5000;
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
});

function listen(): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: boundPort ?? port }, () => {
      server.off('error', reject);
      listening = true;
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function snapshot(): HttpServiceStats {
  return {
    healthy: mode === undefined,
    ...(mode ? { mode } : {}),
    ...stats,
    ...(firstFailAt === undefined ? {} : { firstFailAt }),
  };
}

async function handle(command: HttpServiceCommand): Promise<void> {
  switch (command.op) {
    case 'break': {
      if (mode !== undefined) throw new Error(`already broken (${mode})`);
      mode = command.mode;
      firstFailAt = undefined;
      if (command.mode === 'refuse') {
        // Close the listener first (new connections are refused from here on), then the
        // open keep-alive connections, so no check can still get an answer.
        server.close();
        listening = false;
        for (const socket of sockets) socket.destroy();
      }
      // error / hang: keep-alive connections see the new mode on their next request.
      emit({ event: 'reply', id: command.id, ok: true, at: Date.now(), result: snapshot() });
      return;
    }
    case 'mend': {
      if (mode === undefined) throw new Error('not broken');
      const was = mode;
      mode = undefined;
      for (const response of hanging) response.destroy();
      hanging.clear();
      if (was === 'refuse' && !listening) await listen();
      emit({ event: 'reply', id: command.id, ok: true, at: Date.now(), result: snapshot() });
      return;
    }
    case 'stats':
      emit({ event: 'reply', id: command.id, ok: true, at: Date.now(), result: snapshot() });
      return;
  }
}

async function main(): Promise<void> {
  boundPort = await listen();
  emit({ event: 'ready', port: boundPort, at: Date.now() });
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    let command: HttpServiceCommand;
    try {
      command = JSON.parse(line) as HttpServiceCommand;
    } catch {
      process.stderr.write(`bad command line: ${line}\n`);
      return;
    }
    queue = queue.then(() =>
      handle(command).catch((error: unknown) => {
        emit({
          event: 'reply',
          id: command.id,
          ok: false,
          at: Date.now(),
          error: error instanceof Error ? error.message : String(error),
        });
      }),
    );
  });
  lines.once('close', () => process.exit(0));
  process.once('SIGTERM', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`http service: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
