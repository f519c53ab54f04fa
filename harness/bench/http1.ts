// The paced load's HTTP client: POSTs over keep-alive connections, one request at a time on each, written as
// ready-made bytes and read back by status line and content-length. It shares the machine with the system it
// measures, so its own CPU matters: node:http's client took about 0.45 ms per request at 300 requests a second here,
// five times what autocannon needs under full load (docs/system.md, "Performance").
//
// It reads only what our gateway writes: a status line, headers with content-length, the body. A response without
// content-length, or a connection that closes or fails mid-request, counts as an error; the connection is then
// dropped and the next request opens a new one.
import { connect, type Socket } from 'node:net';

/** The response's status; 0 for an error, -1 when no response came within the timeout. */
export type PostStatus = number;

interface Job {
  payload: Buffer;
  done: (status: PostStatus) => void;
}

const headerEnd = Buffer.from('\r\n\r\n');
const contentLength = /\r\ncontent-length:[ \t]*(\d+)/i;
const closes = /\r\nconnection:[ \t]*close/i;

class Connection {
  private socket: Socket | undefined;
  private job: Job | undefined;
  private timer: NodeJS.Timeout | undefined;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
    private readonly onFree: (c: Connection) => void,
  ) {}

  send(job: Job): void {
    this.job = job;
    this.timer = setTimeout(() => this.end(-1), this.timeoutMs);
    if (!this.socket) this.open();
    this.socket!.write(job.payload);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): void {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    this.buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    // An idle connection that closes is simply reopened by the next request.
    const lost = () => {
      if (this.socket === socket) this.end(0);
    };
    socket.on('error', lost);
    socket.on('close', lost);
  }

  private take(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = this.buffered.indexOf(headerEnd);
    if (end === -1) return;
    const head = this.buffered.toString('latin1', 0, end);
    const length = contentLength.exec(head);
    const status = Number(head.slice(9, 12));
    if (!length || !head.startsWith('HTTP/1.1 ') || !Number.isInteger(status)) {
      this.end(0);
      return;
    }
    if (this.buffered.length < end + 4 + Number(length[1])) return;
    this.buffered = Buffer.alloc(0);
    this.end(status, closes.test(head));
  }

  /** Settles the request in flight; drops the connection unless the response ended cleanly on it. */
  private end(status: PostStatus, serverCloses = false): void {
    const job = this.job;
    if (!job) {
      this.close();
      return;
    }
    clearTimeout(this.timer);
    this.job = undefined;
    if (status <= 0 || serverCloses) this.close();
    job.done(status);
    this.onFree(this);
  }
}

export class Http1Client {
  private readonly all: Connection[];
  private readonly free: Connection[];
  private readonly waiting: Job[] = [];
  private readonly head: string;

  /** POSTs to `url` (its path), on at most `connections` connections. */
  constructor(url: URL, connections: number, timeoutMs: number) {
    this.head = `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n`;
    const onFree = (c: Connection) => {
      const next = this.waiting.shift();
      if (next) c.send(next);
      else this.free.push(c);
    };
    this.all = Array.from(
      { length: connections },
      () => new Connection(url.hostname, Number(url.port || 80), timeoutMs, onFree),
    );
    this.free = [...this.all];
  }

  /** POSTs a JSON body; waits for a free connection first when all are busy. */
  post(body: string): Promise<PostStatus> {
    return new Promise((done) => {
      const payload = Buffer.from(`${this.head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      const job: Job = { payload, done };
      const c = this.free.pop();
      if (c) c.send(job);
      else this.waiting.push(job);
    });
  }

  close(): void {
    for (const c of this.all) c.close();
  }
}
