// The soak's per-event checker must catch what it exists to catch — a lost, repeated or
// reordered event, a gap over history that was not trimmed, a gap naming the wrong ids — and must
// let through what the contract allows (gaps over trimmed history, `earliest` starts, state=1).
import { ChannelCheck, settleClaims, STATE_TYPE, TICK_TYPE, type ChainedEvent, type TrimClaim } from '../../soak/lib/channel-check';
import { Tally } from '../../soak/lib/tally';

/** A channel's events 1..n, chained as the soak's publisher chains them (ids `<seq>000-0`). */
const id = (seq: number): string => `${seq}000-0`;
function event(seq: number, type = TICK_TYPE): ChainedEvent {
  return { id: id(seq), type, seq, prev: seq === 1 ? null : id(seq - 1) };
}

function setup(): { check: ChannelCheck; tally: Tally; claims: TrimClaim[] } {
  const tally = new Tally();
  const claims: TrimClaim[] = [];
  return { check: new ChannelCheck('client', 'ch', tally, claims), tally, claims };
}

const violations = (tally: Tally): string[] => tally.snapshot.examples.map((v) => `${v.invariant}: ${v.detail}`);

describe('the soak checker of one client on one channel', () => {
  it('passes a chain that follows the stream start and continues across a resume', () => {
    const { check, tally } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    [4, 5, 6].forEach((seq) => check.event(event(seq)));
    check.begin({ kind: 'unknown' }, false); // a reconnect with the cursor
    [7, 8].forEach((seq) => check.event(event(seq)));
    check.finish(id(8));
    expect(violations(tally)).toEqual([]);
    expect(tally.snapshot.checks.order).toBe(5);
    expect(check.delivered).toBe(5);
  });

  it('catches a lost event, at once', () => {
    const { check, tally } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    check.event(event(4));
    check.event(event(6));
    expect(violations(tally)).toEqual([`order: lost: after ${id(4)} came ${id(6)} (seq 6), whose previous event is ${id(5)}`]);
  });

  it('catches a lost first event after the start', () => {
    const { check, tally } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    check.event(event(5));
    expect(tally.totalViolations).toBe(1);
  });

  it('catches a duplicated and an out-of-order event', () => {
    const { check, tally } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    [4, 5, 5, 6, 4].forEach((seq) => check.event(event(seq)));
    expect(violations(tally)).toEqual([`order: event ${id(5)} (seq 5) came twice`, `order: event ${id(4)} (seq 4) came after ${id(6)}`]);
  });

  it('catches a client that never got to the end of its channel', () => {
    const { check, tally } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    check.event(event(4));
    check.finish(id(5));
    expect(violations(tally)).toEqual([`delivered: holds ${id(4)}, the channel ends at ${id(5)}`]);
  });

  it('accepts a gap over history that was really trimmed, and settles the claim', () => {
    const { check, tally, claims } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    check.event(event(4));
    check.gap({ lastEventId: id(4), earliestId: id(10) });
    check.event(event(10));
    check.event(event(11));
    expect(violations(tally)).toEqual([]);
    expect(claims).toEqual([{ channel: 'ch', seq: 9, where: 'client ch' }]);
    // Entry 9 is trimmed with 5 kept once 14 events exist.
    settleClaims(claims, () => 14, () => 5, tally);
    expect(violations(tally)).toEqual([]);
  });

  it('catches a gap over history that was still there', () => {
    const { check, tally, claims } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    check.gap({ lastEventId: id(3), earliestId: id(10) });
    check.event(event(10));
    settleClaims(claims, () => 12, () => 5, tally);
    expect(violations(tally)).toEqual(['gaps: history said trimmed up to seq 9, but the channel holds 12 events with 5 kept: it was still there']);
  });

  it('catches a gap when the next event follows the cursor directly', () => {
    const { check, tally } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    check.gap({ lastEventId: id(3), earliestId: id(3) });
    check.event(event(4));
    expect(violations(tally)).toEqual([`gaps: gateway.gap (earliest ${id(3)}) but event ${id(4)} follows ${id(3)} directly`]);
  });

  it('catches a gap that names another last id, or another earliest event than the next one', () => {
    const { check, tally } = setup();
    check.begin({ kind: 'at', id: id(3) }, false);
    check.gap({ lastEventId: id(2), earliestId: id(8) });
    check.event(event(9));
    expect(violations(tally)).toEqual([
      `gaps: gateway.gap says the last id was ${id(2)}, the client's was ${id(3)}`,
      `order: gateway.gap named ${id(8)} as earliest, then ${id(9)} (seq 9) came`,
    ]);
  });

  it('lets an earliest start begin after trimmed history without a gap, and claims the trim', () => {
    const { check, tally, claims } = setup();
    check.begin({ kind: 'earliest' }, false);
    [7, 8].forEach((seq) => check.event(event(seq)));
    expect(violations(tally)).toEqual([]);
    expect(claims.map((c) => c.seq)).toEqual([6]);
    const fresh = setup();
    fresh.check.begin({ kind: 'earliest' }, false);
    [1, 2].forEach((seq) => fresh.check.event(event(seq)));
    expect(fresh.claims).toEqual([]);
  });

  describe('state=1', () => {
    it('takes a retained event older than a live start, which keeps the position', () => {
      const { check, tally } = setup();
      check.begin({ kind: 'at', id: id(13) }, true);
      check.event(event(10, STATE_TYPE));
      check.event(event(14));
      expect(violations(tally)).toEqual([]);
      expect(tally.snapshot.checks.state).toBe(1);
    });

    it('refuses a retained event the cursor of a resumed stream covers', () => {
      const { check, tally } = setup();
      check.begin({ kind: 'at', id: id(13) }, true);
      check.event(event(14));
      check.begin({ kind: 'unknown' }, true);
      check.event(event(10, STATE_TYPE));
      expect(tally.totalViolations).toBe(1);
    });

    it('takes a trimmed retained event between the gap and the first retained entry', () => {
      const { check, tally, claims } = setup();
      check.begin({ kind: 'at', id: id(3) }, true);
      check.gap({ lastEventId: id(3), earliestId: id(31) });
      check.event(event(30, STATE_TYPE));
      check.event(event(31));
      check.event(event(32));
      expect(violations(tally)).toEqual([]);
      expect(claims.map((c) => c.seq)).toEqual([29, 30]);
    });

    it('treats a retained event that is the gap\'s earliest entry as the chain it is', () => {
      const { check, tally } = setup();
      check.begin({ kind: 'at', id: id(3) }, true);
      check.gap({ lastEventId: id(3), earliestId: id(30) });
      check.event(event(30, STATE_TYPE));
      check.event(event(31));
      expect(violations(tally)).toEqual([]);
      expect(check.gaps).toBe(1);
    });

    it('still catches a retained event that skips events no gap announced', () => {
      const { check, tally } = setup();
      check.begin({ kind: 'at', id: id(3) }, true);
      check.event(event(4));
      check.begin({ kind: 'unknown' }, true);
      check.event(event(10, STATE_TYPE));
      expect(tally.totalViolations).toBe(1);
    });
  });
});
