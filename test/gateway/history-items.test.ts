// History is held to the rules of live messages (found by test/fuzz/bus-messages.test.ts): an
// envelope's raw JSON has no CR/LF, but its `type` may hold an escaped one, which JSON.parse turns
// into a real line break that eventFrame() would write after `event: ` — a stored entry could then
// inject SSE fields (a forged `id:`, a second event) into every resuming client's stream.
import { envelopeBody, envelopeJson } from '@sse-gateway/publisher/protocol';
import { itemFromHistory } from '../../gateway/src/hub/items';
import { eventFrame } from '../../gateway/src/sse/frame';
import { parseSse } from '../conformance/support/sse-parse';

const forged = 'execution.log\nid: forged\ndata: {"injected":true}\n\nevent: execution.status';

test('a history entry whose type is not an event type is refused, as the live path refuses it', () => {
  const envelope = envelopeJson('1795600050183-0', envelopeBody('execution:1', forged, '2026-11-25T09:47:30.183Z', '{"executionId":"1"}'));
  expect(envelope).not.toMatch(/[\r\n]/); // the raw JSON passes the line-break check
  expect(itemFromHistory({ id: '1795600050183-0', prev: '0-0', envelope }, 'execution:1')).toBeUndefined();
});

test('whatever itemFromHistory accepts is framed as exactly one event', () => {
  const envelope = envelopeJson('1795600050183-0', envelopeBody('execution:1', forged, '2026-11-25T09:47:30.183Z', '{"executionId":"1"}'));
  const item = itemFromHistory({ id: '1795600050183-0', prev: '0-0', envelope }, 'execution:1');
  if (item === undefined) return;
  const { events } = parseSse([eventFrame('cursor', item).raw]);
  expect(events).toEqual([{ id: 'cursor', event: item.type, data: envelope }]);
});

test('an entry whose envelope names another id or another channel is refused', () => {
  const envelope = envelopeJson('1795600050183-0', envelopeBody('execution:1', 'execution.log', '2026-11-25T09:47:30.183Z', '{"executionId":"1"}'));
  expect(itemFromHistory({ id: '1795600050183-0', prev: '0-0', envelope }, 'execution:1')).toMatchObject({ id: '1795600050183-0', type: 'execution.log' });
  expect(itemFromHistory({ id: '1795600050183-1', prev: '0-0', envelope }, 'execution:1')).toBeUndefined();
  expect(itemFromHistory({ id: '1795600050183-0', prev: '0-0', envelope }, 'execution:2')).toBeUndefined();
});
