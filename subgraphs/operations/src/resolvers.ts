import { badUserInput, DateTimeScalar, encodeCursor, inputError, InputErrorCode, parsePage, serviceUnavailable, type Connection, type InputError } from '@storefront/api-conventions';
import type { Resolvers } from './generated/resolvers-types.ts';
import { DeadlineExceededError, type RequestContext } from '@storefront/http-host';
import { requireAdmin } from '@storefront/identity';
import type { DeadLetter } from '@storefront/events';
import { z } from 'zod';
import { UnknownQueueError, type QueueAdmin, type QueueStats } from '@storefront/events';

export interface OperationsContext extends RequestContext {
  admin: QueueAdmin;
}

/** The GraphQL shape of a dead letter: the job data as a JSON string (it is whatever the job carried). */
interface DeadLetterNode {
  id: string;
  queue: string;
  jobName: string;
  payload: string;
  error: DeadLetter['error'];
  attemptsMade: number;
  unrecoverable: boolean;
  failedAt: Date;
}

interface DeadLetterPayload {
  deadLetter: DeadLetterNode | null;
  errors: InputError[];
}

/** A cursor is the edge's position in the listing (see QueueAdmin.deadLetters). */
const cursorSchema = z.object({ position: z.number().int().min(0) });

export function toDeadLetterNode(deadLetter: DeadLetter): DeadLetterNode {
  return {
    id: deadLetter.id,
    queue: deadLetter.queue,
    jobName: deadLetter.jobName,
    payload: JSON.stringify(deadLetter.event ?? null),
    error: deadLetter.error,
    attemptsMade: deadLetter.attemptsMade,
    unrecoverable: deadLetter.unrecoverable,
    failedAt: new Date(deadLetter.failedAt),
  };
}

/** Redis not answering within the admin's deadline is a retryable SERVICE_UNAVAILABLE, not an internal error. */
async function answered<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DeadlineExceededError) throw serviceUnavailable('Redis, which holds the queues, did not answer in time; try again in a moment');
    throw error;
  }
}

/** Runs a requeue or discard and turns "no such queue" / "no such dead letter" into NOT_FOUND input errors. */
async function changeDeadLetter(
  action: (queue: string, id: string) => Promise<DeadLetter | undefined>,
  queue: string,
  id: string,
): Promise<DeadLetterPayload> {
  try {
    const deadLetter = await answered(action(queue, id));
    if (deadLetter) return { deadLetter: toDeadLetterNode(deadLetter), errors: [] };
    return { deadLetter: null, errors: [inputError(['id'], InputErrorCode.NOT_FOUND, `No dead letter ${id} in ${queue}`)] };
  } catch (error) {
    if (!(error instanceof UnknownQueueError)) throw error;
    return { deadLetter: null, errors: [inputError(['queue'], InputErrorCode.NOT_FOUND, error.message)] };
  }
}

// Every field is admin-only: the router checks the `admin` scope, and each resolver checks again (zero trust).
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    queues(_, _args, { admin, viewer }): Promise<QueueStats[]> {
      requireAdmin(viewer);
      return answered(admin.stats());
    },

    async deadLetters(
      _,
      args,
      { admin, viewer },
    ): Promise<Connection<DeadLetterNode>> {
      requireAdmin(viewer);
      const page = parsePage(args, cursorSchema);
      const offset = page.after ? page.after.position + 1 : 0;
      let listed;
      try {
        listed = await answered(admin.deadLetters({ queue: args.queue ?? undefined, offset, limit: page.first }));
      } catch (error) {
        if (error instanceof UnknownQueueError) throw badUserInput(error.message, 'queue');
        throw error;
      }
      const edges = listed.deadLetters.map((deadLetter, i) => ({
        cursor: encodeCursor({ position: offset + i }),
        node: toDeadLetterNode(deadLetter),
      }));
      return {
        edges,
        pageInfo: {
          hasNextPage: listed.hasMore,
          hasPreviousPage: offset > 0,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },

    async deadLetter(_, { queue, id }, { admin, viewer }): Promise<DeadLetterNode | null> {
      requireAdmin(viewer);
      try {
        const deadLetter = await answered(admin.deadLetter(queue, id));
        return deadLetter ? toDeadLetterNode(deadLetter) : null;
      } catch (error) {
        if (error instanceof UnknownQueueError) return null;
        throw error;
      }
    },
  },

  Mutation: {
    requeueDeadLetter(_, { queue, id }, { admin, viewer }): Promise<DeadLetterPayload> {
      requireAdmin(viewer);
      return changeDeadLetter((q, i) => admin.requeue(q, i), queue, id);
    },

    discardDeadLetter(_, { queue, id }, { admin, viewer }): Promise<DeadLetterPayload> {
      requireAdmin(viewer);
      return changeDeadLetter((q, i) => admin.discard(q, i), queue, id);
    },
  },
};
