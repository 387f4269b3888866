// Runs the load balancer of docker-compose.yml (deploy/nginx/nginx.conf) as a local process: the
// same file, with the container-only parts rewritten for this machine. Every rewrite must match
// exactly once, so a change of the compose config that the rewrite no longer understands fails
// loudly instead of silently testing something else.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startProcess, type ManagedProcess, type StartProcessOptions } from './process';

const NGINX_CONF = resolve(__dirname, '..', 'nginx', 'nginx.conf');

interface Upstream {
  host: string;
  port: number;
}

interface LocalNginxOptions {
  /** Where the LB listens (127.0.0.1). */
  listenPort: number;
  /** The servers of each upstream block of the config, by its name (every block must be given). */
  upstreams: Readonly<Record<string, readonly Upstream[]>>;
  /** A private folder for the rendered config, temp files, pid and access log. */
  workDir: string;
}

export class NginxConfigError extends Error {
  override readonly name = 'NginxConfigError';
}

/** The compose LB config, rewritten to listen on `listenPort` in front of local `upstreams`. */
export function renderNginxConfig(source: string, options: LocalNginxOptions): string {
  let conf = replaceUpstreams(source, options.upstreams);
  conf = replaceOnce(conf, /^(\s*)listen\s+\d+\s*;/m, (indent) => `${indent}listen 127.0.0.1:${options.listenPort};`, 'listen <port>;');
  conf = replaceOnce(conf, /^(\s*)access_log\s+\/dev\/stdout\s+(\w+)\s*;/m, (indent, format) =>
    `${indent}access_log ${join(options.workDir, 'access.log')} ${format};`, 'access_log /dev/stdout <format>;');
  // The container's temp paths are not writable here; put them in the work folder.
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `    ${kind}_temp_path ${join(options.workDir, `${kind}_temp`)};`)
    .join('\n');
  return replaceOnce(conf, /^http\s*\{/m, () => `http {\n${temp}`, 'http {');
}

/** In each `upstream <name> { … }` block, the `server host:port <parameters>;` lines become the given servers (same parameters). */
function replaceUpstreams(source: string, upstreams: Readonly<Record<string, readonly Upstream[]>>): string {
  const seen = new Set<string>();
  const conf = source.replace(/^(\s*upstream\s+([\w.-]+)\s*\{)([^}]*)(\})/gm, (_block, head: string, name: string, body: string, close: string) => {
    const servers = upstreams[name];
    if (servers === undefined || servers.length === 0) throw new NginxConfigError(`no local servers given for upstream ${name}`);
    seen.add(name);
    const serverLine = /^([ \t]*)server\s+[\w.-]+:\d+((?:\s+[\w=]+)*)\s*;[ \t]*\n/gm;
    const lines = [...body.matchAll(serverLine)];
    const first = lines[0];
    if (first === undefined) throw new NginxConfigError(`upstream ${name} has no \`server <host>:<port> <parameters>;\` line`);
    const rendered = servers.map((u) => `${first[1]}server ${u.host}:${u.port}${first[2]};\n`).join('');
    let placed = false;
    const newBody = body.replace(serverLine, () => {
      if (placed) return '';
      placed = true;
      return rendered;
    });
    return `${head}${newBody}${close}`;
  });
  const unknown = Object.keys(upstreams).filter((name) => !seen.has(name));
  if (unknown.length > 0) throw new NginxConfigError(`the config has no upstream ${unknown.join(', ')}`);
  return conf;
}

function replaceOnce(text: string, pattern: RegExp, replacement: (...groups: string[]) => string, what: string): string {
  const matches = text.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`));
  if (matches === null || matches.length !== 1) {
    throw new NginxConfigError(`expected exactly one \`${what}\` in the nginx config, found ${matches?.length ?? 0}`);
  }
  return text.replace(pattern, (_match, ...groups: unknown[]) => replacement(...groups.filter((g): g is string => typeof g === 'string')));
}

/** The nginx binary, or undefined when none is installed (Debian: `apt-get install nginx-light`). */
export function findNginx(): string | undefined {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

/** Writes the rendered config into `workDir`, checks it with `nginx -t`, and starts nginx in the foreground. */
export function startNginx(conf: string, workDir: string, processOptions: StartProcessOptions = {}): ManagedProcess {
  const binary = findNginx();
  if (binary === undefined) throw new NginxConfigError('nginx is not installed (Debian/Ubuntu: apt-get install -y nginx-light)');
  mkdirSync(workDir, { recursive: true });
  // nginx's workers run as `nobody` when the master is root: they must reach the temp folders.
  chmodSync(workDir, 0o755);
  const confFile = join(workDir, 'nginx.conf');
  writeFileSync(confFile, conf);
  const args = ['-p', workDir, '-c', confFile, '-e', 'stderr', '-g', `daemon off; pid ${join(workDir, 'nginx.pid')};`];
  const check = spawnSync(binary, [...args, '-t'], { encoding: 'utf8' });
  if (check.status !== 0) throw new NginxConfigError(`nginx -t refused the config:\n${check.stderr}`);
  return startProcess('lb', binary, args, processOptions);
}

export function readComposeNginxConfig(): string {
  return readFileSync(NGINX_CONF, 'utf8');
}
