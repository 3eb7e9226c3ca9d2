export { startSmtpCatcher, type CaughtMail, type SmtpCatcher, type SmtpCatcherOptions } from './smtp-catcher.ts';
export { serveMailInbox, type MailInbox } from './inbox.ts';
