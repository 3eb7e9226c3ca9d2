import { performance } from 'node:perf_hooks';
import { ProviderCallOutcome, type PrismaClient, type ProviderOperation } from './database.ts';
import type { AuthorizeResult, OperationResult, PaymentProvider } from './provider.ts';

/** The provider and how long we wait for each of its answers. */
export interface ProviderGateway {
  provider: PaymentProvider;
  deadlineMs: number;
}

/**
 * How a provider request ended for us. `answered: false` means we do not know what the provider did (no answer
 * before the deadline, or the request broke): the payment keeps its state and a retry with the same
 * idempotency key finds out.
 */
export type ProviderAnswer<Result> = { answered: true; result: Result } | { answered: false; outcome: 'TIMEOUT' | 'ERROR'; error: string };

async function withDeadline<Result>(deadlineMs: number, send: (signal: AbortSignal) => Promise<Result>): Promise<ProviderAnswer<Result>> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), deadlineMs);
  });
  // Settles either way, so an answer arriving after the deadline is dropped rather than left unhandled.
  const sent = send(controller.signal).then(
    (result): ProviderAnswer<Result> => ({ answered: true, result }),
    (error: unknown): ProviderAnswer<Result> => ({ answered: false, outcome: 'ERROR', error: error instanceof Error ? error.message : String(error) }),
  );
  try {
    const first = await Promise.race([sent, expired]);
    if (first !== 'expired') return first;
    controller.abort(new Error(`No answer within ${deadlineMs} ms`));
    return { answered: false, outcome: 'TIMEOUT', error: `No answer within ${deadlineMs} ms` };
  } finally {
    clearTimeout(timer);
  }
}

function auditOf(answer: ProviderAnswer<AuthorizeResult | OperationResult>): { outcome: ProviderCallOutcome; error: string | null } {
  if (!answer.answered) return { outcome: answer.outcome, error: answer.error };
  const { result } = answer;
  switch (result.outcome) {
    case 'approved':
    case 'succeeded':
      return { outcome: ProviderCallOutcome.SUCCEEDED, error: null };
    case 'declined':
      return { outcome: ProviderCallOutcome.DECLINED, error: result.reason };
    case 'refused':
      return { outcome: ProviderCallOutcome.REFUSED, error: result.reason };
  }
}

/**
 * Sends one request to the provider under the configured deadline and records it in provider_calls, whatever
 * happened: the audit is how an operator reconstructs what the provider was asked when amounts disagree.
 */
export async function callProvider<Result extends AuthorizeResult | OperationResult>(
  prisma: PrismaClient,
  gateway: ProviderGateway,
  call: { paymentId: string; operation: ProviderOperation },
  send: (provider: PaymentProvider, signal: AbortSignal) => Promise<Result>,
): Promise<ProviderAnswer<Result>> {
  const createdAt = new Date();
  const started = performance.now();
  const answer = await withDeadline(gateway.deadlineMs, (signal) => send(gateway.provider, signal));
  await prisma.providerCall.create({
    data: { ...call, ...auditOf(answer), durationMs: Math.round(performance.now() - started), createdAt },
  });
  return answer;
}
