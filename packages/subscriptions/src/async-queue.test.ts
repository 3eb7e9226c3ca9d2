import { jest } from '@jest/globals';
import { AsyncQueue } from './async-queue.ts';

describe('AsyncQueue', () => {
  it('hands values to a waiting consumer and queues them otherwise, in order', async () => {
    const queue = new AsyncQueue<number>(10, () => new Error('overflow'));
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    queue.end();
    const rest: number[] = [];
    for await (const value of queue) rest.push(value);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(rest).toEqual([2, 3]);
  });

  it('fails a consumer that lets more than the limit wait, once, and releases it', async () => {
    const closed = jest.fn();
    const queue = new AsyncQueue<number>(2, () => new Error('slow consumer'), closed);
    queue.push(1);
    queue.push(2);
    queue.push(3);
    await expect(queue.next()).rejects.toThrow('slow consumer');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('releases once when the consumer returns early', async () => {
    const closed = jest.fn();
    const queue = new AsyncQueue<number>(2, () => new Error('overflow'), closed);
    const waiting = queue.next();
    await queue.return();
    queue.push(1);
    expect(await waiting).toEqual({ value: undefined, done: true });
    queue.end();
    expect(closed).toHaveBeenCalledTimes(1);
  });
});
