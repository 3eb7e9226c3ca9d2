import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message as the catcher received it over SMTP. */
export interface CaughtMail {
  /** 1, 2, 3… in the order received: stays the message's id while it is kept. */
  id: number;
  receivedAt: Date;
  to: string[];
  from: string | null;
  /** The raw RFC 5322 message (headers and body). */
  raw: string;
  messageId: string | null;
  subject: string | null;
  /** The body, transfer encoding undone (quoted-printable or base64; single-part messages only). */
  text: string;
}

/** The body of a single-part message, decoded as its Content-Transfer-Encoding says. */
function decodeBody(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const encoding = /^Content-Transfer-Encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

export interface SmtpCatcher {
  /** smtp://127.0.0.1:<port> */
  url: string;
  messages: CaughtMail[];
  /** What reached `address` (lower-case). */
  to(address: string): CaughtMail[];
  /** Messages accepted but not delivered because their Message-ID had been (with dedupeMessageIds). */
  readonly duplicatesDropped: number;
  close(): Promise<void>;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export interface SmtpCatcherOptions {
  /** 0 (default) picks a free port; `npm run dev` listens on Mailpit's 1025. */
  port?: number;
  host?: string;
  /** Messages kept, oldest dropped first (a long development session must not grow without end). */
  keep?: number;
  /**
   * Behave like a relay with idempotency keys: a message whose Message-ID was already accepted is answered
   * 250 and not delivered again (counted in `duplicatesDropped`). Off by default, as in Mailpit.
   */
  dedupeMessageIds?: boolean;
}

/**
 * A local SMTP server (the smtp-server package: the server half of nodemailer's own test suite), so the e-mail
 * worker runs a real SMTP exchange in tests and in `npm run dev` (with the inbox page of inbox.ts).
 * Recipients choose the server's answer, which lets anyone watch a bounce reach the dead letters:
 *   bounce-*@…  550 at RCPT TO (a permanent failure);
 *   flaky-*@…   421 at RCPT TO the first time, accepted afterwards (a transient one);
 *   anything else accepted and recorded.
 */
export async function startSmtpCatcher({ port = 0, host = '127.0.0.1', keep = 1_000, dedupeMessageIds = false }: SmtpCatcherOptions = {}): Promise<SmtpCatcher> {
  const messages: CaughtMail[] = [];
  let received = 0;
  // Every Message-ID ever accepted, not only those of kept messages: a relay's key outlives its inbox view.
  const seenMessageIds = new Set<string>();
  let duplicatesDropped = 0;
  const refusedOnce = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on localhost, like Mailpit: no TLS upgrade, no authentication.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const recipient = address.address.toLowerCase();
      if (recipient.startsWith('bounce-')) return callback(smtpError(550, 'Mailbox unavailable'));
      if (recipient.startsWith('flaky-') && !refusedOnce.has(recipient)) {
        refusedOnce.add(recipient);
        return callback(smtpError(421, 'Service not available, try again later'));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(raw)?.[1]?.trim() ?? null;
        const messageId = header('Message-ID');
        if (dedupeMessageIds && messageId !== null) {
          if (seenMessageIds.has(messageId)) {
            duplicatesDropped += 1;
            return callback();
          }
          seenMessageIds.add(messageId);
        }
        if (messages.length >= keep) messages.shift();
        received += 1;
        messages.push({
          id: received,
          receivedAt: new Date(),
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          raw,
          messageId,
          subject: header('Subject'),
          text: decodeBody(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.server.address() as AddressInfo;
  return {
    url: `smtp://${host}:${address.port}`,
    messages,
    to: (address) => messages.filter((message) => message.to.includes(address.toLowerCase())),
    get duplicatesDropped() {
      return duplicatesDropped;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
