// What the load balancer must do for SSE, checked on deploy/nginx/nginx.conf. A small parser of
// nginx's syntax (directives, blocks, quotes, comments) and one check per requirement; each
// check returns the problems it found, so a test can assert both "none" and "this one".

export interface Directive {
  name: string;
  args: string[];
  /** Present for block directives (`http { … }`). */
  block?: Directive[];
}

export class NginxSyntaxError extends Error {
  override readonly name = 'NginxSyntaxError';
}

export function parseNginx(text: string): Directive[] {
  const tokens = tokenize(text);
  let position = 0;
  const parseBlock = (closing: boolean): Directive[] => {
    const directives: Directive[] = [];
    while (position < tokens.length) {
      const token = tokens[position++]!;
      if (token.kind === '}') {
        if (!closing) throw new NginxSyntaxError('unexpected "}"');
        return directives;
      }
      if (token.kind !== 'word') throw new NginxSyntaxError(`unexpected "${token.kind}"`);
      const args: string[] = [];
      for (;;) {
        const next = tokens[position++];
        if (next === undefined) throw new NginxSyntaxError(`directive "${token.value}" is not terminated`);
        if (next.kind === 'word') args.push(next.value);
        else if (next.kind === ';') {
          directives.push({ name: token.value, args });
          break;
        } else if (next.kind === '{') {
          directives.push({ name: token.value, args, block: parseBlock(true) });
          break;
        } else throw new NginxSyntaxError(`unexpected "}" in directive "${token.value}"`);
      }
    }
    if (closing) throw new NginxSyntaxError('missing "}"');
    return directives;
  };
  return parseBlock(false);
}

type Token = { kind: 'word'; value: string } | { kind: ';' | '{' | '}' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([;{}])|([^\s;{}"'#][^\s;{}]*)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length && (match = pattern.exec(text)) !== null) {
    const [, double, single, punctuation, word] = match;
    if (double !== undefined || single !== undefined) tokens.push({ kind: 'word', value: (double ?? single)!.replace(/\\(.)/g, '$1') });
    else if (punctuation !== undefined) tokens.push({ kind: punctuation as ';' | '{' | '}' });
    else if (word !== undefined) tokens.push({ kind: 'word', value: word });
  }
  if (pattern.lastIndex < text.length) throw new NginxSyntaxError(`cannot read the config at offset ${pattern.lastIndex}`);
  return tokens;
}

/** nginx time syntax (`90`, `3600s`, `1h`, `1h 30m`, `500ms`) in seconds. */
export function nginxSeconds(value: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, M: 2592000, y: 31536000 };
  let total = 0;
  for (const part of value.trim().split(/\s+/)) {
    const match = /^(\d+)(ms|s|m|h|d|w|M|y)?$/.exec(part);
    if (match === null) throw new NginxSyntaxError(`not an nginx time: "${value}"`);
    total += Number(match[1]) * units[match[2] ?? 's']!;
  }
  return total;
}

const find = (directives: readonly Directive[] | undefined, name: string): Directive[] =>
  (directives ?? []).filter((d) => d.name === name);

/** The SSE requirements of the load balancer; an empty list when all are met. */
export function checkSseLoadBalancer(text: string): string[] {
  const problems: string[] = [];
  const http = find(parseNginx(text), 'http')[0];
  if (http === undefined) return ['no http block'];
  const locations = find(http.block, 'server').flatMap((server) => find(server.block, 'location').map((location) => ({ server, location })));
  const root = locations.find(({ location }) => location.args.join(' ') === '/');
  if (root === undefined) return ['no `location /` in a server block'];
  // A directive applies from the innermost level that sets it: location, then server, then http.
  const effective = (name: string): Directive | undefined =>
    find(root.location.block, name)[0] ?? find(root.server.block, name)[0] ?? find(http.block, name)[0];
  const value = (name: string): string | undefined => effective(name)?.args.join(' ');

  const upstreamName = /^http:\/\/([\w.-]+)$/.exec(value('proxy_pass') ?? '')?.[1];
  const upstream = find(http.block, 'upstream').find((u) => u.args[0] === upstreamName);
  if (upstream === undefined) problems.push('`location /` must proxy_pass to an upstream block');
  else problems.push(...checkUpstream(upstream));

  if (value('proxy_buffering') !== 'off') problems.push('proxy_buffering must be off (events must leave at once)');
  if (value('proxy_cache') !== 'off') problems.push('proxy_cache must be off');
  if (value('proxy_http_version') !== '1.1') problems.push('proxy_http_version must be 1.1');
  const connection = [...find(root.location.block, 'proxy_set_header'), ...find(root.server.block, 'proxy_set_header')]
    .find((d) => d.args[0]?.toLowerCase() === 'connection');
  if (connection === undefined || connection.args[1] !== '') problems.push('proxy_set_header Connection "" is required (keepalive to the upstream)');
  if (value('gzip') === 'on') problems.push('gzip must not be on for the stream');
  for (const name of ['proxy_read_timeout', 'proxy_send_timeout']) {
    const seconds = nginxSeconds(value(name) ?? '60s');
    if (seconds < 3600) problems.push(`${name} must be at least 1h (is ${seconds}s): a quiet stream is one long response`);
  }
  const nextUpstream = effective('proxy_next_upstream')?.args ?? ['error', 'timeout'];
  for (const condition of ['error', 'timeout', 'http_503']) {
    if (!nextUpstream.includes(condition)) problems.push(`proxy_next_upstream must include ${condition} (a draining gateway answers 503)`);
  }
  if (nextUpstream.includes('non_idempotent')) problems.push('proxy_next_upstream must not retry non_idempotent requests (a publish would be stored twice)');
  problems.push(...checkLogFormats(http));
  return problems;
}

function checkUpstream(upstream: Directive): string[] {
  const problems: string[] = [];
  const servers = find(upstream.block, 'server');
  if (servers.length < 2) problems.push(`upstream ${upstream.args[0]} must list the gateways (found ${servers.length})`);
  for (const server of servers) {
    const parameter = (key: string): string | undefined => server.args.find((a) => a.startsWith(`${key}=`))?.slice(key.length + 1);
    const maxFails = Number(parameter('max_fails'));
    if (!(maxFails >= 1)) problems.push(`server ${server.args[0]}: max_fails=N (N ≥ 1) enables passive health checks`);
    if (parameter('fail_timeout') === undefined) problems.push(`server ${server.args[0]}: fail_timeout is required`);
  }
  for (const balancing of ['ip_hash', 'hash', 'least_conn', 'random', 'sticky']) {
    if (find(upstream.block, balancing).length > 0) problems.push(`upstream must be plain round robin, not ${balancing}`);
  }
  return problems;
}

// Tokens travel in the query string (access_token), the Authorization header and a cookie.
function checkLogFormats(http: Directive): string[] {
  const leaking = /\$(request|request_uri|args|query_string|arg_access_token|http_authorization|http_cookie|cookie_sse_token)\b/;
  const problems: string[] = [];
  for (const format of find(http.block, 'log_format')) {
    if (leaking.test(format.args.slice(1).join(''))) problems.push(`log_format ${format.args[0]} would log a token`);
  }
  for (const log of find(http.block, 'access_log')) {
    if (log.args[0] !== 'off' && (log.args[1] === undefined || log.args[1] === 'combined')) {
      problems.push('access_log with the default format logs the query string (access_token)');
    }
  }
  return problems;
}
