// What a Subscription uses of its hub: shared parts and the few hub operations a stream's life
// goes through. An interface, so the subscription and the hub do not import each other.
import type { Bus } from '../bus/bus';
import type { Admission } from '../http/admission';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { CloseReason } from '../sse/connection';
import type { Deadlines } from '../sse/deadlines';
import type { PageLimits } from './history-reader';
import type { Membership } from './membership';
import type { FairQuota } from './fair-quota';
import type { Subscription } from './subscription';

export interface BusWait {
  /** True once the bus is connected (at once when it is), false after the wait's limit. */
  readonly connected: Promise<boolean>;
  /** Stops waiting: `connected` resolves false (at once, unless it already settled). */
  cancel(): void;
}

export interface HubContext {
  readonly bus: Bus;
  readonly admission: Admission;
  /** Bytes of history held for replays (REPLAY_BUDGET_BYTES). */
  readonly budget: FairQuota;
  /** Replay reads in flight on the bus. */
  readonly reads: FairQuota;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly expiries: Deadlines<Subscription>;
  readonly draining: boolean;
  /** The `retry:` hint of the opening block. */
  readonly retryMs: number;
  /** A history page's limits. */
  readonly page: PageLimits;
  /** Bytes of live items a replaying stream may hold per channel before they are re-read. */
  readonly pendingLimit: number;
  /** Backlog under which a replay writes on. */
  readonly writeAhead: number;
  /** A replaying client that takes nothing for this long is cut as slow. */
  readonly stallMs: number;
  whenBusConnected(): BusWait;
  /** Adds `membership` to channel `name` (subscribing it on the bus when new). */
  join(name: string, membership: Membership): void;
  /** Removes it again; the last member leaving unsubscribes the channel. */
  leave(name: string, membership: Membership): void;
  /** A stream took its slot. */
  admitted(subscription: Subscription): void;
  /** A stream gave its slot back. */
  released(subscription: Subscription, reason: CloseReason): void;
}
