/**
 * Polls `check` until it holds, or fails naming `what` after `timeoutMs`. For tests and tools that wait on
 * asynchronous work (a queue, a relay, a server coming up); the timeout bounds a hang, it asserts no speed.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
