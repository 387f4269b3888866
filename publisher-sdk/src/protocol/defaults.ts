// The defaults shared by the SDK and the gateway: one home, so `HISTORY_MAXLEN` and the SDK's
// `historyMaxLen` cannot drift apart.

/** Events kept per channel's history (`HISTORY_MAXLEN`, SDK `historyMaxLen`). */
export const DEFAULT_HISTORY_MAX_LEN = 1000;
/** Seconds a channel's history lives after its last event (`HISTORY_TTL_S`, SDK `historyTtlS`). */
export const DEFAULT_HISTORY_TTL_S = 86400;
/** Largest event, in bytes of its JSON `{"channel","type","data"}` (`PUBLISH_MAX_BYTES`, SDK `maxEventBytes`). */
export const DEFAULT_MAX_EVENT_BYTES = 65536;
/** Seconds an `idempotencyKey` is remembered per channel (`IDEMPOTENCY_TTL_S`, SDK `idempotencyTtlS`). */
export const DEFAULT_IDEMPOTENCY_TTL_S = 86400;
/** Seconds a channel's retained state lives after its last retained write (`STATE_TTL_S`, SDK `stateTtlS`). */
export const DEFAULT_STATE_TTL_S = 604800;
/** Longest `idempotencyKey`, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
