// One raw HTTP exchange for the HTTP fuzz tests: any method, path, headers and body bytes, with
// a fresh connection each (no keep-alive state shared between cases). A 200 stream is hung up as
// soon as its headers arrive; any other answer is read whole.
import { request } from 'node:http';

export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Sent {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** Bounded: a server that neither answers nor closes fails the case after `timeoutMs`. */
export function exchange(baseUrl: string, sent: Sent, timeoutMs = 5000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(sent.path, baseUrl), { method: sent.method ?? 'GET', headers: sent.headers, agent: false }, (response) => {
      const status = response.statusCode ?? 0;
      if (status === 200 && String(response.headers['content-type']).startsWith('text/event-stream')) {
        resolve({ status, headers: response.headers, body: Buffer.alloc(0) });
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(sent.body);
  });
}

/** The `{ "error": { "code", "message" } }` of an error answer, or a description of what was wrong with it. */
export function errorOf(body: Buffer): { code: string; message: string } {
  const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
  const { code, message } = parsed.error ?? {};
  if (typeof code !== 'string' || typeof message !== 'string') throw new Error(`not an error body: ${body.toString('utf8').slice(0, 200)}`);
  return { code, message };
}

/** A metric's value from /metrics text (the sum over its label sets). */
export async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', baseUrl))).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
