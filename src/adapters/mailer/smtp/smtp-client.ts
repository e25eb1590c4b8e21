/**
 * A small SMTP client for messages that are already encoded (RFC 5321): a pool of connections, each
 * kept open and reused, and each transaction's `MAIL FROM`, `RCPT TO` and `DATA` sent in one write
 * when the server offers PIPELINING (RFC 2920), so one message costs two round trips and two socket
 * writes. It exists for the fan-out: nodemailer builds and streams every message through a chain of
 * transforms and writes each command on its own, about 0.3 ms of CPU per message even for a raw one;
 * this sends a pre-encoded message for a sixth of that. The SMTP mailer still builds every message
 * with nodemailer's MIME composer (`smtp-mailer.ts`).
 *
 * What it speaks: `smtp://` (upgraded with STARTTLS when the server offers it, certificates checked;
 * `?tls.rejectUnauthorized=false`, as nodemailer reads it, accepts a self-signed one) and `smtps://`
 * (TLS from the start), `AUTH PLAIN` or `AUTH LOGIN` with the URL's credentials, and `SMTPUTF8` for an
 * address that is not ASCII when the server offers it. The password goes only over TLS: a server
 * that offers no STARTTLS (or a network that strips it from the server's answer) is refused it,
 * unless it is on this machine (a local relay or test sink) or the URL says `?requireTLS=false`;
 * `?requireTLS=true` asks for TLS on this machine too (the names are nodemailer's).
 *
 * @example
 * const client = createSmtpClient({ url: 'smtp://127.0.0.1:2525' });
 * await client.send({ from: 'noreply@leedz.test', to: 'pat@example.com' }, Buffer.from('Subject: hi\r\n\r\nhello\r\n'));
 * client.close();
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface SmtpClientOptions {
  /** `smtp://[user:pass@]host[:port]` or `smtps://…`; 587 and 465 by default. */
  url: string;
  /** Connections open at once (default 4). */
  maxConnections?: number;
  /** The name this client gives in `EHLO` (default `localhost`). */
  name?: string;
  /** How long an idle connection stays open (default 5 s). */
  idleTimeoutMs?: number;
  /** How long to wait for a connection, the greeting, or any reply (default 10 s, 10 s, 30 s). */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
}

/** Where a transaction failed; `rcpt` is a refused recipient. */
export type SmtpStage = 'connect' | 'greeting' | 'tls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'message';

/**
 * A failed send: the server's reply to a stage (`code` 4xx: try again later, 5xx: for good) or a
 * connection that broke (`code` undefined, `cause` the socket's error).
 */
export class SmtpClientError extends Error {
  readonly stage: SmtpStage;
  readonly code: number | undefined;

  constructor(stage: SmtpStage, message: string, code?: number, cause?: unknown) {
    super(message, { cause });
    this.name = 'SmtpClientError';
    this.stage = stage;
    this.code = code;
  }

  /** A 5xx reply: sending the same again fails the same way. */
  get permanent(): boolean {
    return this.code !== undefined && this.code >= 500;
  }
}

export interface SmtpClient {
  /** Send one encoded message (headers and body, CRLF line ends) to one recipient; resolves with the server's final reply. */
  send(envelope: { from: string; to: string }, message: Buffer): Promise<string>;
  /** Close every connection (`QUIT`) and refuse what is still queued. */
  close(): void;
}

interface Job {
  envelope: { from: string; to: string };
  message: Buffer;
  resolve(reply: string): void;
  reject(error: SmtpClientError): void;
}

interface Reply {
  code: number;
  text: string;
}

const CRLF = Buffer.from('\r\n');
const END_OF_DATA = Buffer.from('.\r\n');

export function createSmtpClient(options: SmtpClientOptions): SmtpClient {
  const target = parseUrl(options.url);
  const maxConnections = options.maxConnections ?? 4;
  const name = options.name ?? 'localhost';
  const idleTimeoutMs = options.idleTimeoutMs ?? 5_000;
  const timeouts = { connect: options.connectionTimeoutMs ?? 10_000, greeting: options.greetingTimeoutMs ?? 10_000, socket: options.socketTimeoutMs ?? 30_000 };
  const queue: Job[] = [];
  const idle: Connection[] = [];
  let open = 0;
  let closed = false;

  const next = () => queue.shift();

  /** Give queued jobs to idle connections, and open connections while jobs wait and there is room. */
  function pump(): void {
    while (queue.length > 0 && idle.length > 0) idle.pop()!.run(queue.shift()!, next);
    while (queue.length > 0 && open < maxConnections) {
      open += 1;
      const job = queue.shift()!;
      void startConnection(job);
    }
  }

  async function startConnection(first: Job): Promise<void> {
    let connection: Connection;
    try {
      connection = await Connection.open(target, name, timeouts);
    } catch (error) {
      open -= 1;
      first.reject(error as SmtpClientError);
      pump();
      return;
    }
    connection.onIdle = () => {
      if (closed) return connection.quit();
      idle.push(connection);
      pump();
    };
    connection.onGone = () => {
      open -= 1;
      const at = idle.indexOf(connection);
      if (at >= 0) idle.splice(at, 1);
      pump();
    };
    connection.idleTimeoutMs = idleTimeoutMs;
    connection.run(first, next);
  }

  return {
    send(envelope, message) {
      if (closed) return Promise.reject(new SmtpClientError('connect', 'the SMTP client is closed'));
      return new Promise<string>((resolve, reject) => {
        queue.push({ envelope, message, resolve, reject });
        pump();
      });
    },
    close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new SmtpClientError('connect', 'the SMTP client was closed before this message was sent'));
      for (const connection of idle.splice(0)) connection.quit();
    },
  };
}

interface Target {
  host: string;
  port: number;
  secure: boolean;
  user: string | undefined;
  pass: string | undefined;
  /** What TLS checks (the server name to verify, and whether the certificate must be trusted). */
  tls: ConnectionOptions;
  /** Send the credentials only over TLS. */
  requireTls: boolean;
}

/** This machine: a password sent in clear text to it does not cross a network. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function parseUrl(url: string): Target {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  if (!secure && parsed.protocol !== 'smtp:') throw new Error(`SMTP client: the url must start with smtp:// or smtps://, not ${parsed.protocol}//`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port: parsed.port === '' ? (secure ? 465 : 587) : Number(parsed.port),
    secure,
    user: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    pass: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    // An IP address is no server name (SNI); its certificate is still checked against it.
    tls: { ...(isIP(host) === 0 ? { servername: host } : {}), rejectUnauthorized: parsed.searchParams.get('tls.rejectUnauthorized') !== 'false' },
    requireTls: parsed.searchParams.has('requireTLS') ? parsed.searchParams.get('requireTLS') !== 'false' : !isLoopback(host),
  };
}

/** One SMTP connection: a reply reader, the session's setup, and one transaction at a time. */
class Connection {
  onIdle: () => void = () => {};
  onGone: () => void = () => {};
  idleTimeoutMs = 5_000;
  private socket: Socket | TLSSocket;
  private buffered = '';
  private lines: string[] = [];
  private readonly waiting: { resolve(reply: Reply): void; reject(error: SmtpClientError): void }[] = [];
  private readonly early: Reply[] = [];
  private failure: SmtpClientError | undefined;
  private gone = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private extensions = new Set<string>();
  private authMethods = new Set<string>();

  private constructor(
    socket: Socket | TLSSocket,
    private readonly target: Target,
    private readonly timeouts: { connect: number; greeting: number; socket: number },
  ) {
    this.socket = socket;
    this.listen(socket);
  }

  /** Connect, read the greeting, `EHLO`, upgrade with `STARTTLS` when offered, authenticate. */
  static async open(target: Target, name: string, timeouts: { connect: number; greeting: number; socket: number }): Promise<Connection> {
    const where = `${target.secure ? 'smtps' : 'smtp'}://${target.host}:${target.port}`;
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s = target.secure ? connectTls({ ...target.tls, host: target.host, port: target.port }) : connectTcp({ host: target.host, port: target.port });
      const timer = setTimeout(() => s.destroy(new Error(`no connection within ${timeouts.connect} ms`)), timeouts.connect);
      s.once(target.secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        reject(new SmtpClientError('connect', `could not reach the SMTP server at ${where} (${(error as NodeJS.ErrnoException).code ?? error.message}); is it running?`, undefined, error));
      });
    });
    socket.setNoDelay(true);
    const connection = new Connection(socket, target, timeouts);
    try {
      await connection.expect('greeting', await connection.reply(timeouts.greeting), 220);
      await connection.hello(name);
      let encrypted = target.secure;
      if (!target.secure && connection.extensions.has('STARTTLS')) {
        await connection.expect('tls', await connection.command('STARTTLS\r\n'), 220);
        await connection.upgrade();
        await connection.hello(name);
        encrypted = true;
      }
      if (target.user !== undefined) {
        // Clear text is no way to send a password across a network (RFC 8314); see the module's comment.
        if (!encrypted && target.requireTls) {
          throw new SmtpClientError(
            'tls',
            `${where} offered no STARTTLS, so its password is not sent over a connection that is not encrypted: use smtps://, a server that offers STARTTLS, or ?requireTLS=false to send it in clear text anyway`,
          );
        }
        await connection.authenticate(target.user, target.pass ?? '');
      }
    } catch (error) {
      connection.socket.destroy();
      throw error;
    }
    return connection;
  }

  /**
   * Send `first`, then whatever the pool has queued by the time each message is written, then go idle
   * (or away, when the connection broke). With PIPELINING, a message's content, its end, and the next
   * message's `MAIL FROM`, `RCPT TO` and `DATA` go in one write (RFC 2920 §3.1: the content may open a
   * group of commands): one write and one round trip per message.
   */
  run(first: Job, next: () => Job | undefined): void {
    clearTimeout(this.idleTimer);
    this.socket.ref();
    void this.work(first, next).then(() => {
      if (this.failure === undefined) this.idle();
    });
  }

  quit(): void {
    clearTimeout(this.idleTimer);
    if (this.failure !== undefined) return;
    this.failure = new SmtpClientError('connect', 'the connection was closed');
    this.socket.end('QUIT\r\n');
  }

  private idle(): void {
    // An idle connection does not keep the process alive, and closes after a while.
    this.socket.unref();
    this.idleTimer = setTimeout(() => this.quit(), this.idleTimeoutMs);
    this.idleTimer.unref();
    this.onIdle();
  }

  /** Every job this connection takes, each settled; resolves when there is none left (or the connection broke). */
  private async work(first: Job, next: () => Job | undefined): Promise<void> {
    const pipelining = this.extensions.has('PIPELINING');
    let job: Job | undefined = first;
    // The replies to the job's MAIL, RCPT and DATA when they went out with the previous message.
    let opened: Promise<Reply[]> | undefined;
    while (job !== undefined) {
      const current: Job = job;
      const replies = opened ?? this.open(current, '');
      opened = undefined;
      try {
        await this.accepted(await replies);
      } catch (error) {
        current.reject(error as SmtpClientError);
        if (this.failure !== undefined) return;
        job = next();
        continue;
      }
      const content = Buffer.concat([dotStuffed(current.message), ...(current.message.at(-1) === 0x0a ? [] : [CRLF]), END_OF_DATA]);
      // The reply to the content is asked for first: replies come in the order of what was written.
      const final = this.reply();
      let following = pipelining ? next() : undefined;
      const commands = following === undefined ? undefined : this.commandsOf(following);
      if (following !== undefined && commands instanceof SmtpClientError) {
        following.reject(commands);
        following = undefined;
      }
      if (following !== undefined && typeof commands === 'string') {
        opened = this.open(following, content, commands);
        // Settled by the next turn of the loop, or below when the connection breaks first.
        opened.catch(() => {});
      } else {
        this.write(content);
      }
      try {
        const reply = await final;
        if (reply.code === 250) current.resolve(reply.text);
        else current.reject(new SmtpClientError('message', reply.text, reply.code));
      } catch (error) {
        current.reject(error as SmtpClientError);
        following?.reject(error as SmtpClientError);
        return;
      }
      job = following ?? next();
    }
  }

  /** The commands that open a transaction, or why this connection cannot send it. */
  private commandsOf({ envelope }: Job): string | SmtpClientError {
    const international = !isAscii(envelope.from) || !isAscii(envelope.to);
    if (international && !this.extensions.has('SMTPUTF8')) {
      return new SmtpClientError('mail', `the SMTP server at ${this.target.host} does not accept addresses that are not ASCII (no SMTPUTF8)`, 553);
    }
    return `MAIL FROM:<${envelope.from}>${international ? ' SMTPUTF8' : ''}\r\nRCPT TO:<${envelope.to}>\r\nDATA\r\n`;
  }

  /**
   * Write `before` (the previous message, or nothing) and the commands that open `job`'s transaction;
   * resolves with their replies. Without PIPELINING, one command at a time, stopping at a refusal.
   */
  private async open(job: Job, before: string | Buffer, commands = this.commandsOf(job)): Promise<Reply[]> {
    if (commands instanceof SmtpClientError) throw commands;
    if (this.extensions.has('PIPELINING')) {
      const pending = [this.reply(), this.reply(), this.reply()];
      this.write(before === '' ? commands : Buffer.concat([typeof before === 'string' ? Buffer.from(before) : before, Buffer.from(commands, 'utf8')]));
      return Promise.all(pending);
    }
    const [mail, rcpt, data] = commands.split('\r\n').map((line) => `${line}\r\n`);
    const replies = [await this.command(mail!)];
    if (replies[0]!.code === 250) replies.push(await this.command(rcpt!));
    if (replies[1]?.code === 250 || replies[1]?.code === 251) replies.push(await this.command(data!));
    return replies;
  }

  /** Throws the refusal among a transaction's opening replies, after resetting it; returns when the server waits for the message. */
  private async accepted([mailReply, rcptReply, dataReply]: Reply[]): Promise<void> {
    const refused = (stage: SmtpStage, reply: Reply | undefined) => new SmtpClientError(stage, reply?.text ?? 'no reply', reply?.code);
    let failure: SmtpClientError | undefined;
    if (mailReply?.code !== 250) failure = refused('mail', mailReply);
    else if (rcptReply?.code !== 250 && rcptReply?.code !== 251) failure = refused('rcpt', rcptReply);
    else if (dataReply?.code !== 354) failure = refused('data', dataReply);
    if (failure === undefined) return;
    // A server that accepted DATA after all waits for a message: end it empty, then start over.
    if (dataReply?.code === 354) await this.command('.\r\n');
    await this.command('RSET\r\n');
    throw failure;
  }

  private async hello(name: string): Promise<void> {
    const reply = await this.command(`EHLO ${name}\r\n`);
    await this.expect('greeting', reply, 250);
    this.extensions = new Set();
    // "250-SIZE 10240000", "250-AUTH PLAIN LOGIN", …, "250 PIPELINING": the first line greets.
    for (const line of reply.text.split('\n').slice(1)) {
      const [keyword = '', ...parameters] = line.slice(4).trim().toUpperCase().split(/\s+/);
      this.extensions.add(keyword);
      if (keyword === 'AUTH') this.authMethods = new Set(parameters);
    }
  }

  private async authenticate(user: string, pass: string): Promise<void> {
    if (this.authMethods.has('PLAIN')) {
      await this.expect('auth', await this.command(`AUTH PLAIN ${Buffer.from(`\u0000${user}\u0000${pass}`).toString('base64')}\r\n`), 235);
    } else if (this.authMethods.has('LOGIN')) {
      await this.expect('auth', await this.command('AUTH LOGIN\r\n'), 334);
      await this.expect('auth', await this.command(`${Buffer.from(user).toString('base64')}\r\n`), 334);
      await this.expect('auth', await this.command(`${Buffer.from(pass).toString('base64')}\r\n`), 235);
    } else {
      throw new SmtpClientError('auth', `the SMTP server at ${this.target.host} offers neither AUTH PLAIN nor AUTH LOGIN`, 504);
    }
  }

  private async upgrade(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('error');
    plain.removeAllListeners('close');
    this.socket = await new Promise<TLSSocket>((resolve, reject) => {
      const secure = connectTls({ ...this.target.tls, socket: plain }, () => resolve(secure));
      secure.once('error', (error) => reject(new SmtpClientError('tls', `STARTTLS with ${this.target.host} failed: ${error.message}`, undefined, error)));
    });
    this.socket.removeAllListeners('error');
    this.listen(this.socket);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.setTimeout(this.timeouts.socket);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('timeout', () => socket.destroy(new Error(`no reply within ${this.timeouts.socket} ms`)));
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(new SmtpClientError('connect', `the connection to the SMTP server at ${this.target.host} broke (${error.code ?? error.message})`, undefined, error)));
    socket.on('close', () => this.fail(this.failure ?? new SmtpClientError('connect', `the SMTP server at ${this.target.host} closed the connection`)));
  }

  private fail(error: SmtpClientError): void {
    clearTimeout(this.idleTimer);
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.failure);
    if (!this.gone) {
      this.gone = true;
      this.socket.destroy();
      this.onGone();
    }
  }

  private read(chunk: Buffer): void {
    this.buffered += chunk.toString('utf8');
    let end: number;
    while ((end = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, end).replace(/\r$/, '');
      this.buffered = this.buffered.slice(end + 1);
      this.lines.push(line);
      // "250-…" continues a reply; "250 …" (or a bare "250") ends it.
      if (line.length >= 3 && line[3] !== '-') {
        const reply = { code: Number(line.slice(0, 3)), text: this.lines.join('\n') };
        this.lines = [];
        const waiter = this.waiting.shift();
        if (waiter === undefined) this.early.push(reply);
        else waiter.resolve(reply);
      }
    }
  }

  private reply(timeoutMs?: number): Promise<Reply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const early = this.early.shift();
    if (early !== undefined) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.socket.destroy(new Error(`no greeting within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  private command(line: string): Promise<Reply> {
    const reply = this.reply();
    this.write(line);
    return reply;
  }

  private write(data: string | Buffer): void {
    if (this.failure === undefined) this.socket.write(data);
  }

  private async expect(stage: SmtpStage, reply: Reply, code: number): Promise<void> {
    if (reply.code !== code) throw new SmtpClientError(stage, reply.text, reply.code);
  }
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** RFC 5321 §4.5.2: a line that starts with "." gets another one. Copies only when there is such a line. */
export function dotStuffed(message: Buffer): Buffer {
  if (message[0] !== 0x2e && message.indexOf('\n.') < 0) return message;
  const parts: Buffer[] = message[0] === 0x2e ? [DOT] : [];
  let from = 0;
  for (let at = message.indexOf('\n.'); at >= 0; at = message.indexOf('\n.', from)) {
    parts.push(message.subarray(from, at + 1), DOT);
    from = at + 1;
  }
  parts.push(message.subarray(from));
  return Buffer.concat(parts);
}

const DOT = Buffer.from('.');
