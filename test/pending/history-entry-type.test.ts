// PENDING: not run by npm test (see test/pending/README.md); it fails until the fix lands.
// Found by test/fuzz/bus-messages.test.ts; the fix belongs in gateway/src/hub/items.ts.
//
// itemFromHistory() accepts any string as the event type of a history entry, while
// parseLiveMessage() requires a valid event type for the same envelope. The envelope's raw JSON
// has no CR/LF (that is checked), but its `type` may hold an escaped one ("\n" as `\u000a` or
// `\n` in JSON): JSON.parse turns it into a real line break, and eventFrame() writes it after
// `event: ` — a history entry can then inject SSE fields (a forged `id:`, `data:`, a second event)
// into every resuming client's stream. Live delivery refuses the same envelope as
// `invalid_envelope`. Fix: refuse the entry unless isEventType(type) (and, like the live path,
// check its id and channel), counting it as dropped.
import { envelopeBody, envelopeJson } from '@sse-gateway/publisher/protocol';
import { itemFromHistory } from '../../gateway/src/hub/items';
import { eventFrame } from '../../gateway/src/sse/frame';
import { parseSse } from '../conformance/support/sse-parse';

const forged = 'execution.log\nid: forged\ndata: {"injected":true}\n\nevent: execution.status';

test('a history entry whose type is not an event type is refused, as the live path refuses it', () => {
  const envelope = envelopeJson('1795600050183-0', envelopeBody('execution:1', forged, '2026-11-25T09:47:30.183Z', '{"executionId":"1"}'));
  expect(envelope).not.toMatch(/[\r\n]/); // the raw JSON passes the line-break check
  expect(itemFromHistory({ id: '1795600050183-0', prev: '0-0', envelope })).toBeUndefined();
});

test('whatever itemFromHistory accepts is framed as exactly one event', () => {
  const envelope = envelopeJson('1795600050183-0', envelopeBody('execution:1', forged, '2026-11-25T09:47:30.183Z', '{"executionId":"1"}'));
  const item = itemFromHistory({ id: '1795600050183-0', prev: '0-0', envelope });
  if (item === undefined) return;
  const { events } = parseSse([eventFrame('cursor', item).raw]);
  expect(events).toEqual([{ id: 'cursor', event: item.type, data: envelope }]);
});
