// What a verified token grants, independent of how it was verified.

export interface Claims {
  /** The token's `sub`: who is connecting (limits are counted per subject). */
  subject: string;
  /** Channel patterns from `sse.subscribe` (see channel-patterns.ts). */
  subscribe: readonly string[];
  /** Channel patterns from `sse.publish`. */
  publish: readonly string[];
  /** When the token expires (its `exp`, epoch ms); undefined when it has no `exp`. */
  expiresAt: number | undefined;
}
