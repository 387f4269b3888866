import { envelopeJson } from './envelope';

/** One retained event of a channel's history stream. */
export interface HistoryEntry {
  id: string;
  /** The id of the entry before it in the channel when it was written (`0-0` for the first). */
  prev: string;
  /** The envelope JSON. */
  envelope: string;
}

/**
 * An entry of XRANGE's reply (`[id, [field, value, …]]`) as a {@link HistoryEntry}, or undefined
 * when it was not written by the publish script.
 */
export function historyEntryOf(id: string, fields: readonly string[]): HistoryEntry | undefined {
  let prev: string | undefined;
  let body: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'p') prev = fields[i + 1];
    else if (fields[i] === 'e') body = fields[i + 1];
  }
  if (prev === undefined || body === undefined) return undefined;
  return { id, prev, envelope: envelopeJson(id, body) };
}

/** A channel's retained event (the latest `retain: true` event of its type). */
export interface RetainedEvent {
  id: string;
  /** The envelope JSON, with its id. */
  envelope: string;
}

const ENVELOPE_ID = /^\{"id":"(\d{1,16}-\d{1,16})",/;

/** A value of a channel's state hash as a {@link RetainedEvent}, or undefined when the script did not write it. */
export function retainedEventOf(envelope: string): RetainedEvent | undefined {
  const id = ENVELOPE_ID.exec(envelope)?.[1];
  return id === undefined ? undefined : { id, envelope };
}
