import { AsyncQueue } from '@storefront/subscriptions';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { SubgraphFetchResult } from '../execution/plan-executor.ts';

/*
 * Client subscriptions that are the same subscription share the work (see README, "Sharing"):
 *
 *   upstream  one subgraph stream per (subgraph, primary operation, its variables, the identity it runs as);
 *   group     within an upstream, one run of the rest of the plan and of the shaping per event, per
 *             (authorized operation, variables, viewer): the subscribers that would get the same payload;
 *   member    one client subscription: a bounded queue of deliveries, nothing else.
 *
 * Events are handled in upstream order; a group runs them one at a time. A member that falls BACKLOG
 * deliveries behind is dropped (its queue fails with SlowSubscriber) without holding up the others.
 */

/** Deliveries one member may leave waiting before it is dropped as a slow consumer. */
export const MEMBER_BACKLOG = 32;
/** Events a group may have waiting for the rest of its plan before it gives up (the subgraphs cannot keep up). */
const GROUP_BACKLOG = 256;

export class SlowSubscriber extends Error {
  constructor() {
    super('The client stopped reading its subscription');
  }
}

/** One payload for a member: the result and how long the router took to make it (the rest of the plan, shaping). */
export interface Delivery {
  result: FormattedExecutionResult;
  seconds: number;
}

export interface JoinRequest {
  upstreamKey: string;
  groupKey: string;
  /**
   * Whether a late joiner gets the upstream's latest event (run through the rest of the plan for it alone)
   * before the shared stream: for fields that begin with the current state (orderUpdated), where the latest
   * event is the state as of the last change the feed delivered. Change feeds (stockChanged) say no: a
   * subscriber gets what changes from now on.
   */
  replayLatest: boolean;
  openPrimary: () => AsyncIterableIterator<SubgraphFetchResult>;
  /** The rest of the plan and the shaping for one event; the same for every member of the group. */
  run: (event: SubgraphFetchResult) => Promise<FormattedExecutionResult>;
  /** A member's queue limit (tests lower it). */
  backlog?: number;
  /**
   * Told at once when the member falls `backlog` deliveries behind: its client may not ask for the next one
   * for a long time (a WebSocket write that never completes), so the transport drops it now.
   */
  onSlow?: () => void;
}

export interface SharingObserver {
  upstreamOpened(): void;
  upstreamClosed(): void;
  /** One run of the rest of the plan, shared by `members` subscribers. */
  executed(members: number): void;
}

const timed = async (run: () => Promise<FormattedExecutionResult>): Promise<Delivery> => {
  const started = process.hrtime.bigint();
  const result = await run();
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
};

function failedResult(error: unknown): FormattedExecutionResult {
  const message = error instanceof Error ? error.message : String(error);
  return { data: null, errors: [{ message: `The subscription's event could not be processed: ${message}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
}

class Member {
  /** The first event sequence number this member is to get from the shared stream. */
  constructor(
    readonly queue: AsyncQueue<Delivery>,
    readonly from: number,
  ) {}
}

class Group {
  readonly members = new Set<Member>();
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly run: JoinRequest['run'],
    private readonly observer: SharingObserver,
    private readonly onEmpty: () => void,
  ) {}

  /** Runs `task` after every event offered before it: a group's deliveries keep the upstream's order. */
  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch(() => undefined);
  }

  offer(seq: number, event: SubgraphFetchResult): void {
    if (this.members.size === 0) return;
    if (++this.waiting > GROUP_BACKLOG) {
      for (const member of this.members) member.queue.fail(new SlowSubscriber());
      return;
    }
    this.enqueue(async () => {
      const delivery = this.members.size ? await timed(() => this.run(event)).catch((error: unknown) => ({ result: failedResult(error), seconds: 0 })) : undefined;
      this.waiting -= 1;
      if (!delivery) return;
      let reached = 0;
      for (const member of this.members) {
        if (seq < member.from) continue;
        member.queue.push(delivery);
        reached += 1;
      }
      this.observer.executed(reached);
    });
  }

  /** The upstream's latest event, for one member that joined after it. */
  replay(member: Member, event: SubgraphFetchResult): void {
    this.enqueue(async () => {
      if (!this.members.has(member)) return;
      const delivery = await timed(() => this.run(event)).catch((error: unknown) => ({ result: failedResult(error), seconds: 0 }));
      this.observer.executed(1);
      member.queue.push(delivery);
    });
  }

  /** The upstream ended: each member ends after what is already on its way to it. */
  end(): void {
    this.enqueue(async () => {
      for (const member of this.members) member.queue.end();
    });
  }

  leave(member: Member): void {
    if (this.members.delete(member) && this.members.size === 0) this.onEmpty();
  }
}

class Upstream {
  readonly groups = new Map<string, Group>();
  private seq = 0;
  private latest: { seq: number; event: SubgraphFetchResult } | undefined;
  private readonly source: AsyncIterableIterator<SubgraphFetchResult>;
  private closed = false;

  constructor(
    open: () => AsyncIterableIterator<SubgraphFetchResult>,
    private readonly observer: SharingObserver,
    private readonly onClosed: () => void,
  ) {
    this.source = open();
    observer.upstreamOpened();
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const step = await this.source.next();
        if (step.done || this.closed) break;
        this.offer(step.value);
      }
    } catch (error) {
      // The subgraph stream failed in the router (never a subgraph's answer, which comes as a result).
      const errors: GraphQLFormattedError[] = [{ message: error instanceof Error ? error.message : String(error), extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }];
      if (!this.closed) this.offer({ data: null, errors });
    }
    this.close();
    for (const group of this.groups.values()) group.end();
  }

  private offer(event: SubgraphFetchResult): void {
    this.seq += 1;
    this.latest = { seq: this.seq, event };
    for (const group of this.groups.values()) group.offer(this.seq, event);
  }

  join(request: JoinRequest, queue: AsyncQueue<Delivery>): Member {
    let group = this.groups.get(request.groupKey);
    if (!group) {
      const created: Group = new Group(request.run, this.observer, () => {
        if (this.groups.get(request.groupKey) === created) this.groups.delete(request.groupKey);
        if (this.groups.size === 0) this.close();
      });
      group = created;
      this.groups.set(request.groupKey, group);
    }
    const member = new Member(queue, this.seq + 1);
    group.members.add(member);
    if (request.replayLatest && this.latest) group.replay(member, this.latest.event);
    return member;
  }

  /** Whether new members may still join (a closed upstream is on its way out). */
  get open(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    this.observer.upstreamClosed();
    void this.source.return?.();
  }
}

/** The shared upstreams of one router. */
export class SharedSubscriptions {
  private readonly upstreams = new Map<string, Upstream>();

  constructor(private readonly observer: SharingObserver) {}

  /** Open upstream streams (one per distinct subgraph subscription). */
  get size(): number {
    return this.upstreams.size;
  }

  /**
   * A member's deliveries. Ending the iteration (return) leaves the group, and the last member to leave
   * an upstream closes its subgraph stream. A member too slow to take its deliveries fails with SlowSubscriber.
   */
  join(request: JoinRequest): AsyncIterableIterator<Delivery> {
    let upstream = this.upstreams.get(request.upstreamKey);
    if (!upstream?.open) {
      const created: Upstream = new Upstream(request.openPrimary, this.observer, () => {
        if (this.upstreams.get(request.upstreamKey) === created) this.upstreams.delete(request.upstreamKey);
      });
      upstream = created;
      this.upstreams.set(request.upstreamKey, upstream);
    }
    const joined = upstream;
    // Set right after the queue is made (its onClose needs the member, joining needs the queue).
    const membership: { member?: Member } = {};
    const queue = new AsyncQueue<Delivery>(
      request.backlog ?? MEMBER_BACKLOG,
      () => {
        request.onSlow?.();
        return new SlowSubscriber();
      },
      () => {
        if (membership.member) joined.groups.get(request.groupKey)?.leave(membership.member);
      },
    );
    membership.member = joined.join(request, queue);
    return queue;
  }
}
