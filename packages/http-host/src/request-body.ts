import type http from 'node:http';

/**
 * How much more of an oversized body the host reads (and throws away) before it answers 413. A client that
 * sends its whole body before reading, as many do, only sees the answer if the server is still reading when
 * it is sent: closing a connection with unread data resets it, and the reset takes the answer with it. Past
 * these bounds the host answers anyway and closes; such a client may then see the reset instead.
 */
export interface DrainBounds {
  /** Bytes beyond the limit read and discarded. */
  maxBytes: number;
  /** How long discarding may take, from the moment the body is known to be too large. */
  timeoutMs: number;
}

export const OVERSIZED_BODY_DRAIN: DrainBounds = { maxBytes: 16 * 1024 * 1024, timeoutMs: 5_000 };

export type BodyRead =
  | { kind: 'complete'; text: string }
  /** Longer than the limit; `drained` when the rest was read to its end, so closing is clean. */
  | { kind: 'too-large'; drained: boolean }
  /** The client went away before the body ended: nobody to answer. */
  | { kind: 'aborted' };

/**
 * Reads a request body of at most `limit` bytes as UTF-8. An oversized body is never buffered: its bytes are
 * counted and discarded up to `drain`'s bounds, so the 413 reaches the client. The stream is read with
 * listeners rather than async iteration, which would destroy the socket (and the answer) on an early exit.
 */
export function readBoundedBody(req: http.IncomingMessage, limit: number, drain: DrainBounds = OVERSIZED_BODY_DRAIN): Promise<BodyRead> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit + drain.maxBytes) {
      resolve({ kind: 'too-large', drained: false });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const settle = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('close', onClose);
      // Stop reading what nobody will look at; the connection is closed after the answer.
      if (result.kind === 'too-large' && !result.drained) req.pause();
      resolve(result);
    };
    const overflow = () => {
      tooLarge = true;
      chunks.length = 0;
      timer = setTimeout(() => settle({ kind: 'too-large', drained: false }), drain.timeoutMs);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (!tooLarge && size > limit) overflow();
      if (!tooLarge) chunks.push(chunk);
      else if (size > limit + drain.maxBytes) settle({ kind: 'too-large', drained: false });
    };
    const onEnd = () =>
      settle(tooLarge ? { kind: 'too-large', drained: true } : { kind: 'complete', text: Buffer.concat(chunks, size).toString('utf8') });
    const onAborted = () => settle({ kind: 'aborted' });
    const onClose = () => {
      if (!req.complete) settle({ kind: 'aborted' });
    };

    if (Number.isFinite(declared) && declared > limit) overflow();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('close', onClose);
  });
}
