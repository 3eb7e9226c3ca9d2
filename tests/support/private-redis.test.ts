import { connect } from 'node:net';
import { startPrivateRedis } from './private-redis.ts';

/** One PING over a raw socket: the reply, or 'no answer' after `timeoutMs`, or 'refused'. */
function ping(port: number, timeoutMs = 300): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const finish = (result: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('no answer'), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => finish(chunk.toString().trim()));
    socket.once('error', () => finish('refused'));
  });
}

describe('a private redis-server', () => {
  it('answers on its own port, accepts but never answers while frozen, answers again when thawed, and is gone after stop', async () => {
    const redis = await startPrivateRedis();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(redis.port).not.toBe(6379);
      expect(await ping(redis.port)).toBe('+PONG');
      redis.freeze();
      expect(redis.frozen).toBe(true);
      expect(await ping(redis.port)).toBe('no answer');
      redis.thaw();
      expect(redis.frozen).toBe(false);
      expect(await ping(redis.port)).toBe('+PONG');
    } finally {
      await redis.stop();
    }
    await redis.stop();
    expect(await ping(redis.port)).toBe('refused');
  });

  it('stops while frozen, and starts again on the same port', async () => {
    const first = await startPrivateRedis();
    first.freeze();
    await first.stop();
    const again = await startPrivateRedis({ port: first.port });
    try {
      expect(await ping(again.port)).toBe('+PONG');
    } finally {
      await again.stop();
    }
  });
});
