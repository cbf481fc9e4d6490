/**
 * A persistent connection to BIRD's control socket, for polling without spawning birdc
 * each time (the benchmark polls every 20 ms).
 *
 * Protocol (BIRD 2 doc/prog "CLI"): on connect BIRD sends "0001 BIRD x.y ready.". Each
 * command is one line; each reply line starts with a 4-digit code followed by "-"
 * (more lines follow) or " " (the reply's last line); lines starting with a space
 * continue the previous code. Codes 8xxx and 9xxx are errors.
 */
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';

// "203.0.113.80/32      unicast [node1 12:00:00.123] * (100) [AS65001i]"; further paths
// repeat the line without the network.
const PATH_LINE = /^\S*\s+(?:unicast|blackhole|unreachable|prohibited|multipath)\s+\[([^\s\]]+)/gm;

interface Pending {
  command: string;
  lines: string[];
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

export class BirdControl {
  private buffer = '';
  private readonly queue: Pending[] = [];
  private greeted = false;
  private closedError: Error | undefined;
  private onGreeting: ((error?: Error) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('bird control socket closed')));
  }

  static connect(path: string, timeoutMs = 5000): Promise<BirdControl> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const control = new BirdControl(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`bird control socket ${path}: no greeting within ${timeoutMs} ms`));
      }, timeoutMs);
      control.onGreeting = (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(control);
      };
    });
  }

  /** Sends one command; resolves with the reply's text (codes stripped), rejects on an error code. */
  command(command: string): Promise<string> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.queue.push({ command, lines: [], resolve, reject });
      this.socket.write(`${command}\n`);
    });
  }

  /**
   * The protocols that hold a path for exactly `prefix` (best first as BIRD lists them);
   * [] when BIRD has no such network. Example: ["node1", "node2"].
   */
  async paths(prefix: string): Promise<string[]> {
    const table = prefix.includes(':') ? 'master6' : 'master4';
    let text: string;
    try {
      text = await this.command(`show route ${prefix} table ${table}`);
    } catch (error) {
      if (error instanceof Error && /Network not found/.test(error.message)) return [];
      throw error;
    }
    return [...text.matchAll(PATH_LINE)].map((m) => m[1] ?? '');
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    if (!this.greeted) {
      this.greeted = true;
      this.onGreeting?.(
        line.startsWith('0001 ') ? undefined : new Error(`unexpected bird greeting: ${line}`),
      );
      this.onGreeting = undefined;
      return;
    }
    const pending = this.queue[0];
    if (!pending) return;
    const match = /^(\d{4})([ -])(.*)$/.exec(line);
    if (!match) {
      pending.lines.push(line.startsWith(' ') ? line.slice(1) : line);
      return;
    }
    const [, code = '', sep, text = ''] = match;
    pending.lines.push(text);
    if (sep === '-') return;
    this.queue.shift();
    const body = pending.lines.join('\n');
    if (code.startsWith('8') || code.startsWith('9')) {
      pending.reject(new Error(`bird: ${pending.command}: ${body}`));
    } else {
      pending.resolve(body);
    }
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    this.onGreeting?.(error);
    this.onGreeting = undefined;
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }
}
