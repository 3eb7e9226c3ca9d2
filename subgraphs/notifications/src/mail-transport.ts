import { envNodeEnv, loadConfig } from '@storefront/config';
import type { EventLogger } from '@storefront/events';
import nodemailer from 'nodemailer';
import { z } from 'zod';

/** One e-mail as the delivery worker hands it over; `messageId` is stable across retries of one delivery. */
export interface OutgoingMail {
  to: { name: string; address: string };
  subject: string;
  text: string;
  /** RFC 5322 Message-ID, angle brackets included. */
  messageId: string;
}

export interface RecordedMail extends OutgoingMail {
  from: string;
  /** The whole message as nodemailer composed it (JSON transport), for assertions on headers. */
  composed: unknown;
}

/** Sends e-mail; the worker owns retries, so a transport tries once and throws what the server said. */
export interface MailTransport {
  readonly kind: 'smtp' | 'recording';
  /** The From header of every message. */
  readonly from: string;
  /**
   * Whether the server accepts a message whose Message-ID it already has without delivering it again (a
   * provider's idempotency key; SMTP_DEDUPLICATES_MESSAGE_ID). Only then may the worker resend a message
   * whose earlier attempt ended without saying whether the server took it.
   */
  readonly deduplicatesMessageIds: boolean;
  send(mail: OutgoingMail): Promise<{ messageId: string; response?: string }>;
  close(): Promise<void>;
}

export const DEFAULT_MAIL_FROM = 'Storefront <no-reply@storefront.local>';

const mailEnv = z
  .object({
    NODE_ENV: envNodeEnv,
    // An empty value (a blank line in .env) means "not set".
    SMTP_URL: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.url({ protocol: /^smtps?$/, error: 'SMTP_URL must be an smtp:// or smtps:// URL' }).optional(),
    ),
    MAIL_FROM: z.string().trim().min(3).default(DEFAULT_MAIL_FROM),
    // Only a relay known to drop a Message-ID it has already accepted may say so: a wrong "true" means duplicates.
    SMTP_DEDUPLICATES_MESSAGE_ID: z.enum(['true', 'false']).default('false'),
  })
  .refine((env) => env.NODE_ENV !== 'production' || env.SMTP_URL !== undefined, {
    message: 'SMTP_URL is required in production (without it e-mails would only be recorded in memory)',
    path: ['SMTP_URL'],
  });

export type MailConfig = z.output<typeof mailEnv>;

export function loadMailConfig(env: NodeJS.ProcessEnv = process.env): MailConfig {
  return loadConfig('notifications mail', mailEnv, env);
}

/** SMTP over nodemailer when SMTP_URL is set; otherwise (development, test) the recording transport. */
export function mailTransportFromEnv(env: NodeJS.ProcessEnv, logger: EventLogger): MailTransport {
  const config = loadMailConfig(env);
  return config.SMTP_URL
    ? new SmtpMailTransport(config.SMTP_URL, config.MAIL_FROM, { deduplicatesMessageIds: config.SMTP_DEDUPLICATES_MESSAGE_ID === 'true' })
    : new RecordingMailTransport(config.MAIL_FROM, logger);
}

/**
 * Bounded waits: a job holds its BullMQ lock (30 s by default) while it sends, and nodemailer's defaults
 * (2 min to connect, 10 min of socket silence) would let a hung server outlast it and stall the job.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;

export class SmtpMailTransport implements MailTransport {
  readonly kind = 'smtp';
  readonly from: string;
  readonly deduplicatesMessageIds: boolean;
  readonly #transporter: ReturnType<typeof nodemailer.createTransport>;

  constructor(url: string, from: string, options: { deduplicatesMessageIds?: boolean } = {}) {
    this.from = from;
    this.deduplicatesMessageIds = options.deduplicatesMessageIds ?? false;
    this.#transporter = nodemailer.createTransport({ url, ...SMTP_TIMEOUTS });
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string; response?: string }> {
    const info = (await this.#transporter.sendMail({ from: this.from, ...mail })) as { messageId: string; response?: string };
    return { messageId: info.messageId, response: info.response };
  }

  async close(): Promise<void> {
    this.#transporter.close();
  }
}

/**
 * Development and tests without an SMTP server: composes each message with nodemailer (JSON transport, so
 * headers are what SMTP would carry), keeps it in memory and logs one line per message. A Message-ID it
 * already holds is acknowledged and not kept again, as a provider with idempotency keys does.
 */
export class RecordingMailTransport implements MailTransport {
  readonly kind = 'recording';
  readonly deduplicatesMessageIds = true;
  readonly from: string;
  readonly messages: RecordedMail[] = [];
  readonly #logger: EventLogger;
  readonly #composer = nodemailer.createTransport({ jsonTransport: true, skipEncoding: true });

  constructor(from: string = DEFAULT_MAIL_FROM, logger: EventLogger = { info() {}, warn() {}, error() {} }) {
    this.from = from;
    this.#logger = logger;
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    if (this.messages.some((kept) => kept.messageId === mail.messageId)) return { messageId: mail.messageId };
    const info = await this.#composer.sendMail({ from: this.from, ...mail });
    this.messages.push({ ...mail, from: this.from, composed: info.message });
    this.#logger.info({ to: mail.to.address, subject: mail.subject, messageId: info.messageId }, 'e-mail recorded (no SMTP_URL)');
    return { messageId: info.messageId };
  }

  async close(): Promise<void> {
    this.#composer.close();
  }
}

/** What nodemailer attaches to a failed send (see its NodemailerError). */
interface SmtpFailure {
  responseCode?: number;
  permanent?: boolean;
}

/**
 * Whether retrying the same message cannot help: the server answered 5xx (RFC 5321: permanent negative
 * completion), except 503 (bad command sequence: a new connection may succeed). Connection failures and
 * 4xx replies are transient.
 */
export function isPermanentMailError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { responseCode, permanent } = error as SmtpFailure;
  if (typeof permanent === 'boolean') return permanent;
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600 && responseCode !== 503;
}

/** The domain of MAIL_FROM's address, for Message-IDs ("Storefront <no-reply@shop.example>" → shop.example). */
export function senderDomain(from: string): string {
  const match = /@([^\s>]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'storefront.local';
}
