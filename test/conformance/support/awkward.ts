// What breaks text protocols, for the conformance tests: each string goes into events' free text
// and object keys, published through the SDK and over HTTP.
export const AWKWARD = [
  'line separators \u2028 and \u2029',
  'carriage\rreturn',
  'crlf\r\nline',
  'lf\nline',
  'nul\0byte',
  'lone high \ud800 surrogate',
  'lone low \udfff surrogate',
  'emoji 😀 and 👩‍🚀',
  'a frame inside\n\ndata: x\n\nid: 1\n\n',
  'quotes " and \\ backslash',
  ': starts like a comment',
  '\ufeffbyte order mark',
  '',
];

export interface AwkwardEvent {
  channel: string;
  type: string;
  data: Record<string, unknown>;
}

/** Two events per awkward string, on `channels` in turn: a log line (SDK) and an output (HTTP). */
export function awkwardEvents(channels: readonly string[]): { viaSdk: AwkwardEvent; viaHttp: AwkwardEvent }[] {
  return AWKWARD.map((text, i) => {
    const channel = channels[i % channels.length] as string;
    return {
      viaSdk: { channel, type: 'execution.log', data: { executionId: `e${i}`, level: 'info', message: text, agent: text || 'x' } },
      viaHttp: { channel, type: 'execution.output', data: { executionId: text || 'x', output: { [text]: [text, { [text]: text }] } } },
    };
  });
}
