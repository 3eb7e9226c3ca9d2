import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { DeadlineExceededError, withDeadline } from './deadline.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withDeadline', () => {
  it('answers what the work answers when it is in time, errors included', async () => {
    await expect(withDeadline(sleep(5).then(() => 'done'), 200)).resolves.toBe('done');
    await expect(withDeadline(Promise.reject(new Error('boom')), 200)).rejects.toThrow('boom');
  });

  it('gives up at the deadline with DeadlineExceededError, and drops a late failure quietly', async () => {
    const started = Date.now();
    const late = sleep(300).then(() => {
      throw new Error('too late to matter');
    });
    const error = await withDeadline(late, 50, 'redis GET').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toBe('redis GET did not answer within 50 ms');
    expect(Date.now() - started).toBeLessThan(250);
    await late.catch(() => undefined);
  });

  it('takes an answer that arrived while this process was too busy to read it, instead of timing out', async () => {
    // The answering side must be another process: this one is about to be too busy to answer anything.
    const echo = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [portLine] = (await once(echo.stdout, 'data')) as [Buffer];
      const socket = connect(Number(portLine.toString()), '127.0.0.1');
      await once(socket, 'connect');
      try {
        const reply = new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(chunk.toString())));
        const answer = withDeadline(reply, 20);
        socket.write('ping');
        // Busy well past the deadline: the reply waits in the socket while the timer expires.
        const until = Date.now() + 200;
        while (Date.now() < until);
        await expect(answer).resolves.toBe('pong');
      } finally {
        socket.destroy();
      }
    } finally {
      echo.kill();
    }
  });
});

const ECHO_SERVER = `
const server = require('node:net').createServer((socket) => {
  socket.on('error', () => {});
  socket.on('data', () => socket.write('pong'));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port)));
`;
