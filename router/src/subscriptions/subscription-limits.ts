import type { Viewer } from '@storefront/identity';
import { MEMBER_BACKLOG } from './shared-subscriptions.ts';
import { DEFAULT_SUBSCRIPTION_SHARING, type SubscriptionSharingSettings } from './sharing-policy.ts';

export interface SubscriptionLimitSettings {
  /** Subscriptions one connection may hold at once. */
  perConnection: number;
  /** Connections one signed-in user may hold at once, across transports. */
  connectionsPerUser: number;
  /** Connections one client address may hold at once (anonymous ones included). */
  connectionsPerAddress: number;
  /** Deliveries that may wait for one client subscription before it is dropped as a slow consumer. */
  slowConsumerBacklog: number;
  /** WebSocket pings to clients; one that does not answer within as long again is dropped. */
  keepAliveMs: number;
  /** Which client subscriptions share one subgraph stream and one execution per event (sharing-policy.ts). */
  sharing: SubscriptionSharingSettings;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimitSettings = {
  perConnection: 100,
  connectionsPerUser: 20,
  connectionsPerAddress: 500,
  slowConsumerBacklog: MEMBER_BACKLOG,
  keepAliveMs: 15_000,
  sharing: DEFAULT_SUBSCRIPTION_SHARING,
};

/**
 * Counts this router's subscription connections per user and per client address. Counted per replica: a
 * client spread over N replicas may hold N times the limit, which bounds each replica's memory all the same.
 */
export class SubscriptionLimits {
  private readonly perUser = new Map<string, number>();
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly settings: Pick<SubscriptionLimitSettings, 'perConnection' | 'connectionsPerUser' | 'connectionsPerAddress'> = DEFAULT_SUBSCRIPTION_LIMITS) {}

  get perConnection(): number {
    return this.settings.perConnection;
  }

  /** A release function for an admitted connection, or why it is refused. */
  admitConnection(viewer: Viewer | null, address: string): (() => void) | string {
    const user = viewer?.userId;
    if (user !== undefined && (this.perUser.get(user) ?? 0) >= this.settings.connectionsPerUser) {
      return `At most ${this.settings.connectionsPerUser} subscription connections per user`;
    }
    if ((this.perAddress.get(address) ?? 0) >= this.settings.connectionsPerAddress) {
      return `At most ${this.settings.connectionsPerAddress} subscription connections per address`;
    }
    if (user !== undefined) bump(this.perUser, user, 1);
    bump(this.perAddress, address, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (user !== undefined) bump(this.perUser, user, -1);
      bump(this.perAddress, address, -1);
    };
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
