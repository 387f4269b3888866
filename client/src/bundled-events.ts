// Copied from schemas/src/types.ts by client/scripts/sync-event-types.ts. Do not edit.


/**
 * An execution failed with an error.
 */
export interface ExecutionError {
  executionId: string;
  error: {
    code: string;
    message: string;
  };
}

/**
 * A log line written by an execution or one of its agents.
 */
export interface ExecutionLog {
  executionId: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  agent?: string;
  task?: string;
}

/**
 * Output produced by an execution; `final` marks its result.
 */
export interface ExecutionOutput {
  executionId: string;
  /**
   * Text, or any JSON value the execution produced.
   */
  output: string | number | boolean | {} | unknown[] | null;
  final?: boolean;
}

/**
 * An execution (or one of its agents) advanced by a step.
 */
export interface ExecutionProgress {
  executionId: string;
  step: number;
  totalSteps?: number;
  percent?: number;
  agent?: string;
  task?: string;
  message?: string;
}

/**
 * The lifecycle state of an execution changed.
 */
export interface ExecutionStatus {
  executionId: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  message?: string;
}

/**
 * Control event sent by the gateway: history no longer reaches back to the client's cursor on `channel`; events between `lastEventId` and `earliestId` are gone. Reload the channel's state.
 */
export interface GatewayGap {
  channel: string;
  /**
   * The last id the client had on this channel.
   */
  lastEventId: string;
  /**
   * The oldest id still retained, or null when nothing is retained.
   */
  earliestId: string | null;
}

/**
 * Control event sent by the gateway just before it ends a stream whose token expired. Reconnect with a fresh token and the last cursor.
 */
export interface GatewayTokenExpired {
  /**
   * The token's `exp`, ISO-8601 UTC.
   */
  expiredAt: string;
}

/** The `data` of every bundled event type, by type. */
export interface BundledEventMap {
  'execution.error': ExecutionError;
  'execution.log': ExecutionLog;
  'execution.output': ExecutionOutput;
  'execution.progress': ExecutionProgress;
  'execution.status': ExecutionStatus;
  'gateway.gap': GatewayGap;
  'gateway.token_expired': GatewayTokenExpired;
}
