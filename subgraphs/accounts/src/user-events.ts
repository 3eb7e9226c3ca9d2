import { defineEvent } from '@storefront/events';
import type { User } from './database.ts';

/**
 * UserRegistered v1 for a new account: notifications keeps its own recipients replica from it (the address
 * it sends to) and welcomes the user. Carries no secret: the password hash stays in accounts.
 */
export function userRegisteredEvent(user: Pick<User, 'id' | 'email' | 'name'>, correlationId: string | null) {
  return defineEvent({
    type: 'UserRegistered',
    version: 1,
    source: 'accounts',
    aggregateId: user.id,
    correlationId,
    payload: { userId: user.id, email: user.email, name: user.name },
  });
}
