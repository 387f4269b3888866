// The "bare node:http" reference: one Node process fanning events out with a plain
// res.write per client — no framework, no auth, no Redis. It shows what the load client and one
// Node process reach on this machine without the gateway's work. Speaks Nchan's URLs:
// GET /sub?channel=…, POST /pub?channel=… (the body is the event's data), GET /status.
import { createServer, type ServerResponse } from 'node:http';

const channels = new Map<string, Set<ServerResponse>>();
let subscribers = 0;
let nextId = 0;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://bare');
  const channel = url.searchParams.get('channel') ?? '';
  if (req.method === 'GET' && url.pathname === '/sub') {
    req.socket.setNoDelay(true);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': hi\n\n');
    let set = channels.get(channel);
    if (set === undefined) channels.set(channel, (set = new Set()));
    set.add(res);
    subscribers++;
    res.on('close', () => {
      subscribers--;
      set.delete(res);
      if (set.size === 0) channels.delete(channel);
    });
  } else if (req.method === 'POST' && url.pathname === '/pub') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const frame = `id: ${++nextId}\ndata: ${Buffer.concat(chunks).toString()}\n\n`;
      for (const subscriber of channels.get(channel) ?? []) subscriber.write(frame);
      res.writeHead(202).end();
    });
  } else if (url.pathname === '/status') {
    res.end(`subscribers: ${subscribers}\n`);
  } else {
    res.writeHead(404).end();
  }
});
server.listen(Number(process.env.PORT), '0.0.0.0', () => process.send?.('listening'));
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
