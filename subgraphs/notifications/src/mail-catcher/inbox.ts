import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CaughtMail, SmtpCatcher } from './smtp-catcher.ts';

/*
 * The caught messages as web pages, for `npm run dev` on a machine without Docker (compose runs Mailpit for the
 * same purpose, on the same ports): an inbox at /, one message at /messages/<id>, and JSON at /api/messages for
 * scripts (DELETE empties it).
 */

export interface MailInbox {
  url: string;
  close(): Promise<void>;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}
a{color:#0b62c4}.muted{color:#777}</style></head><body>${body}</body></html>`;
}

function inboxPage(messages: CaughtMail[]): string {
  const rows = messages
    .map(
      (mail) =>
        `<tr><td class="muted">${mail.receivedAt.toISOString().replace('T', ' ').slice(0, 19)}</td><td>${escapeHtml(mail.to.join(', '))}</td>` +
        `<td><a href="/messages/${mail.id}">${escapeHtml(mail.subject ?? '(no subject)')}</a></td></tr>`,
    )
    .join('');
  const table = messages.length
    ? `<table><thead><tr><th>Received (UTC)</th><th>To</th><th>Subject</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p class="muted">No messages yet. Place an order through the router and it will show up here once paid.</p>';
  return page('Inbox — storefront mail catcher', `<h1>Inbox</h1><p class="muted">Every e-mail the store sends in development.</p>${table}`);
}

function messagePage(mail: CaughtMail): string {
  const headers = [
    ['From', mail.from ?? ''],
    ['To', mail.to.join(', ')],
    ['Subject', mail.subject ?? ''],
    ['Message-ID', mail.messageId ?? ''],
  ]
    .map(([name, value]) => `<tr><th>${name}</th><td>${escapeHtml(value ?? '')}</td></tr>`)
    .join('');
  return page(mail.subject ?? 'Message', `<p><a href="/">← Inbox</a></p><table>${headers}</table><pre>${escapeHtml(mail.text)}</pre>` +
    `<details><summary>Raw message</summary><pre>${escapeHtml(mail.raw)}</pre></details>`);
}

/** Serves `catcher`'s messages over HTTP on `port` (0 picks a free one). */
export async function serveMailInbox(catcher: SmtpCatcher, { port = 0, host = '127.0.0.1' }: { port?: number; host?: string } = {}): Promise<MailInbox> {
  const newestFirst = () => [...catcher.messages].reverse();

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const { pathname } = new URL(request.url ?? '/', 'http://inbox');
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method === 'DELETE' && pathname === '/api/messages') {
      catcher.messages.length = 0;
      return send(200, 'application/json', '{"deleted":true}');
    }
    if (request.method !== 'GET') return send(405, 'text/plain', 'Method not allowed');
    if (pathname === '/') return send(200, 'text/html', inboxPage(newestFirst()));
    if (pathname === '/api/messages') {
      const body = newestFirst().map(({ raw: _raw, ...mail }) => mail);
      return send(200, 'application/json', JSON.stringify(body));
    }
    const match = /^\/messages\/(\d+)$/.exec(pathname);
    const found = match && catcher.messages.find((mail) => mail.id === Number(match[1]));
    if (found) return send(200, 'text/html', messagePage(found));
    return send(404, 'text/html', page('Not found', '<p>No such message (it may have been dropped). <a href="/">Inbox</a></p>'));
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
