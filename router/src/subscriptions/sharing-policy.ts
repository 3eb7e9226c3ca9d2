/*
 * Which client subscriptions may share one subgraph stream, and what a late joiner gets (README, "Sharing").
 * By default a subscription shares with those of the same operation, variables and viewer: the subgraph then
 * sees the same identity and the same request, so it would answer each of them the same. Two kinds of root
 * field are told apart by name, since the router cannot see a resolver's semantics:
 */

export interface SubscriptionSharingSettings {
  /** Off: every client subscription gets a stream and executions of its own (the benchmark's baseline). */
  enabled: boolean;
  /**
   * Root fields whose events are changes from the moment one subscribes, nothing before (no initial state):
   * a late joiner of a shared stream gets the next change. Every other field may begin with the current
   * state (orderUpdated does), so a late joiner gets the stream's latest event first, run for it alone.
   */
  changeFeeds: readonly string[];
  /**
   * Root fields whose subgraph answer depends on no viewer (public data, no viewer-dependent fields in
   * the owning subgraph's part of the selection): their stream is opened anonymously and shared by every
   * viewer. The rest of the plan still runs per viewer (other subgraphs' fields may depend on who asks).
   */
  publicFeeds: readonly string[];
}

export const DEFAULT_SUBSCRIPTION_SHARING: SubscriptionSharingSettings = {
  enabled: true,
  changeFeeds: ['stockChanged', 'notificationAdded'],
  publicFeeds: ['stockChanged'],
};
