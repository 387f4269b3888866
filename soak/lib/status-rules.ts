// Which error answers a fault explains. Outside these, any 5xx and any 4xx is a violation: the
// soak's clients always send valid requests with valid tokens (a 401 is explained only when the
// token had expired by the time the answer came: a handshake slower than the token's life).
import type { StatusRecord } from './client-kit';
import type { Tally } from './tally';

export type FaultKind = 'sigkill' | 'rolling-restart' | 'pubsub-kill' | 'redis-restart' | 'hangups';

export interface FaultWindow {
  kind: FaultKind;
  start: number;
  end: number;
}

/** A fault's effects may be answered a little after it ends (a retry in flight, a slow reconnect). */
const WINDOW_GRACE_MS = 5000;

/**
 * The answers each fault may cause, as `status code what` (code '' for the load balancer's own
 * pages, what `*` for streams and publishes alike).
 */
const EXPLAINED: Record<FaultKind, readonly string[]> = {
  // A request in flight on a killed gateway: nginx does not retry a POST it already sent.
  sigkill: ['502  *'],
  // A draining gateway refuses new streams and publishes with 503 (nginx tries the next one;
  // when every one it tries is draining or restarting, the client gets the 503). A POST that
  // nginx sent on a kept-alive connection the draining gateway was closing gets a 502 (nginx does
  // not retry a POST); a stream never does: the gateways are restarted one by one, nginx's
  // fail_timeout apart, so nginx always has a live upstream to retry a GET on.
  'rolling-restart': ['503 draining *', '502  publish'],
  // Redis away: 503 while the bus reconnects and resubscribes.
  'redis-restart': ['503 bus_unavailable *'],
  'pubsub-kill': ['503 bus_unavailable *'],
  hangups: [],
};

export function judgeStatuses(records: readonly StatusRecord[], windows: readonly FaultWindow[], tally: Tally): void {
  for (const record of records) {
    const key = `${record.status} ${record.code}`;
    const expired = record.status === 401 && record.tokenExpired === true;
    const matches = (rule: string): boolean => rule === `${key} *` || rule === `${key} ${record.what}`;
    const explained = expired || windows.some((w) => record.at >= w.start && record.at <= w.end + WINDOW_GRACE_MS && EXPLAINED[w.kind].some(matches));
    const elapsed = record.elapsedMs === undefined ? '' : ` ${record.elapsedMs} ms after the request`;
    tally.expect(explained, 'status', record.what, () => `${key.trim()} at ${new Date(record.at).toISOString()}${elapsed}, outside any fault that explains it`);
  }
}
