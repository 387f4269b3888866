import type { StoreResult } from '../protocol/store';
import type { PreparedEvent } from '../protocol/validate';

export type { StoreResult };

/** How a publisher gets validated events stored: into Redis, or through a gateway over HTTP. */
export interface Transport {
  /** Stores the events, all or none, and resolves with their ids in order and which were duplicates. */
  store(events: readonly PreparedEvent[], deadline: AbortSignal): Promise<StoreResult>;
  close(): Promise<void>;
  /** Why the transport may be failing ("Redis at … is unreachable (…)"), for error messages. */
  diagnose(): string | undefined;
}
