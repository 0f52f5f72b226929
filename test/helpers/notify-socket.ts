// A systemd notify socket for tests: a unix datagram socket (a path, or an
// abstract '@name') that records every datagram it receives, as systemd does
// for $NOTIFY_SOCKET. Node has no unix datagram sockets, so a python3 child
// (present wherever the binding builds: node-gyp needs it) binds it and prints
// each datagram as a JSON line.
import { spawn, type ChildProcess } from 'node:child_process';

const RECEIVER = `
import json, socket, sys
address = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + address[1:] if address.startswith('@') else address)
print(json.dumps('bound'), flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

export interface Datagram {
  /** performance.now() when the test process read it. */
  at: number;
  text: string;
  /** KEY=VALUE lines as a map. */
  fields: Record<string, string>;
}

export class NotifySocket {
  readonly datagrams: Datagram[] = [];
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private buffered = '';
  private stderr = '';

  private constructor(readonly address: string) {
    this.child = spawn('python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.buffered += d;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const text = JSON.parse(this.buffered.slice(0, nl)) as string;
        this.buffered = this.buffered.slice(nl + 1);
        const fields: Record<string, string> = {};
        for (const line of text.split('\n')) {
          const eq = line.indexOf('=');
          if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1);
        }
        this.datagrams.push({ at: performance.now(), text, fields });
      }
      this.waiters.forEach((w) => w());
    });
    this.child.on('close', () => this.waiters.forEach((w) => w()));
  }

  /** Binds address; resolves once it receives. */
  static async open(address: string): Promise<NotifySocket> {
    const s = new NotifySocket(address);
    await s.waitFor((d) => d.text === 'bound', 10_000, 'the receiver to bind');
    s.datagrams.length = 0;
    return s;
  }

  /** The first datagram from index `from` on matching pred; rejects after ms. */
  waitFor(pred: (d: Datagram) => boolean, ms: number, what: string, from = 0): Promise<Datagram> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.datagrams.slice(from).find(pred);
        if (found) done(() => resolve(found));
        else if (this.child.exitCode !== null) done(() => reject(new Error(`notify receiver exited: ${this.stderr}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(
        `no datagram for ${what} within ${ms} ms; got ${JSON.stringify(this.datagrams.map((d) => d.text))}`))), ms);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.child.kill('SIGKILL');
  }
}
