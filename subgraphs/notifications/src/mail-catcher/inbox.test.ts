import { createTransport } from 'nodemailer';
import { serveMailInbox, startSmtpCatcher, type MailInbox, type SmtpCatcher } from './index.ts';

let catcher: SmtpCatcher;
let inbox: MailInbox;
beforeAll(async () => {
  catcher = await startSmtpCatcher({ keep: 3 });
  inbox = await serveMailInbox(catcher);
});
afterAll(async () => {
  await inbox?.close();
  await catcher?.close();
});

async function send(to: string, subject: string, text: string) {
  const transport = createTransport(catcher.url);
  try {
    await transport.sendMail({ from: 'Storefront <shop@example.com>', to, subject, text });
  } finally {
    transport.close();
  }
}

const get = async (path: string) => {
  const response = await fetch(`${inbox.url}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
};

type Listed = { id: number; to: string[]; subject: string; text: string; receivedAt: string };

describe('the development mail inbox', () => {
  it('lists what the catcher received, newest first, and shows each message escaped', async () => {
    await send('ada@example.com', 'Payment received for SO-0000001', 'Thank you, Ada: 12.50 EUR for <b>order</b> SO-0000001.');
    await send('bob@example.com', 'Welcome, Bob', 'Hello Bob');

    const listed = JSON.parse((await get('/api/messages')).body) as Listed[];
    expect(listed.map(({ id, to, subject }) => ({ id, to, subject }))).toEqual([
      { id: 2, to: ['bob@example.com'], subject: 'Welcome, Bob' },
      { id: 1, to: ['ada@example.com'], subject: 'Payment received for SO-0000001' },
    ]);
    expect(listed[1]!.text.trim()).toBe('Thank you, Ada: 12.50 EUR for <b>order</b> SO-0000001.');

    const page = await get('/');
    expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(page.body.indexOf('Welcome, Bob')).toBeLessThan(page.body.indexOf('Payment received for SO-0000001'));
    expect(page.body).toContain('href="/messages/1"');

    const message = await get('/messages/1');
    expect(message.status).toBe(200);
    expect(message.body).toContain('ada@example.com');
    expect(message.body).toContain('for &lt;b&gt;order&lt;/b&gt; SO-0000001.');
    expect(message.body).not.toContain('<b>order</b>');
  });

  it('keeps the newest messages under its cap, ids unchanged, and answers 404 for dropped ones', async () => {
    await send('cy@example.com', 'Third', 'x');
    await send('di@example.com', 'Fourth', 'x');
    const listed = JSON.parse((await get('/api/messages')).body) as Listed[];
    expect(listed.map((m) => [m.id, m.subject])).toEqual([
      [4, 'Fourth'],
      [3, 'Third'],
      [2, 'Welcome, Bob'],
    ]);
    expect((await get('/messages/1')).status).toBe(404);
    expect((await get('/messages/4')).body).toContain('Fourth');
  });

  it('is emptied by DELETE /api/messages and refuses other methods', async () => {
    expect((await fetch(`${inbox.url}/api/messages`, { method: 'DELETE' })).status).toBe(200);
    expect(JSON.parse((await get('/api/messages')).body)).toEqual([]);
    expect((await get('/')).body).toContain('No messages yet');
    expect((await fetch(`${inbox.url}/`, { method: 'POST' })).status).toBe(405);
  });
});
