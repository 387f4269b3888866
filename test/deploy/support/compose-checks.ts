// The rules for docker-compose.yml: which services exist, that healthchecks ask real endpoints,
// that every environment variable is one its reader knows (the gateway's are cross-checked with
// CONFIG_VARIABLES, and their values with the gateway's own parser), and that the load
// balancer's upstreams are exactly the gateway services.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { checkSseLoadBalancer, parseNginx, type Directive } from './nginx-checks';
import { PROBE_PATHS, TEST_JWT_SECRET, gatewayConfig, unknownVariables } from './gateway-facts';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string };
  stop_grace_period?: string;
  ports?: (string | { target: number; published: number | string })[];
  volumes?: (string | Record<string, unknown>)[];
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  [key: string]: unknown;
}

/**
 * The demo service runs `npm run demo`'s process (demo/run.ts): a gateway with the demo page, and
 * the crew publishing into Redis. It reads the gateway's variables plus these.
 */
export const DEMO_VARIABLES: readonly string[] = ['DEMO_CHANNEL'];
/** Variables the compose file may take from the shell or an .env file; each must be required (`:?`). */
export const INTERPOLATED_VARIABLES: readonly string[] = ['JWT_SECRET'];

export const GATEWAY_IMAGE = 'sse-gateway:local';
const REDIS_SERVICE = 'redis';
const LB_SERVICE = 'lb';
const DEMO_SERVICE = 'demo';

export function readCompose(text: string): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/** Gateway services: the gateway image with its default command. */
export const gatewayServices = (compose: ComposeFile): [string, ComposeService][] =>
  Object.entries(compose.services).filter(([, s]) => s.image === GATEWAY_IMAGE && s.command === undefined);

function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  const entries = Array.isArray(env) ? env.map((line) => line.split(/=(.*)/s, 2) as [string, string]) : Object.entries(env);
  return Object.fromEntries(entries.map(([key, value]) => [key, value === null || value === undefined ? '' : String(value)]));
}

/** Compose durations: `15s`, `1m30s`, `500ms`. */
export function composeSeconds(value: string): number {
  const units: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) throw new Error(`not a compose duration: ${value}`);
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit!]!, 0);
}

const dependsHealthy = (service: ComposeService, on: string): boolean =>
  !Array.isArray(service.depends_on) && service.depends_on?.[on]?.condition === 'service_healthy';

const testCommand = (service: ComposeService): string[] => {
  const test = service.healthcheck?.test;
  return typeof test === 'string' ? ['CMD-SHELL', test] : (test ?? []);
};

let composeSchema: ValidateFunction | undefined;

/**
 * The Compose Specification's JSON schema (draft-07), as shipped by the `docker-compose` npm
 * package (installed with testcontainers): unknown or misspelled keys, wrong types.
 */
export function validateComposeSchema(compose: unknown): string[] {
  if (composeSchema === undefined) {
    const schema = JSON.parse(readFileSync(require.resolve('docker-compose/schema/compose-spec.json'), 'utf8')) as object;
    // The schema names draft-07 as its meta-schema, which Ajv 8 does not bundle by default.
    composeSchema = new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(schema);
  }
  if (composeSchema(compose)) return [];
  return (composeSchema.errors ?? []).map((e) =>
    `compose schema: ${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : ''}`);
}

/** Problems of the compose file; `root` is the folder it lives in (for the files it refers to). */
export function checkCompose(text: string, root: string): string[] {
  const problems: string[] = [];
  problems.push(...checkInterpolations(text));
  const compose = readCompose(text);
  problems.push(...validateComposeSchema(compose));
  for (const name of [REDIS_SERVICE, LB_SERVICE, DEMO_SERVICE]) {
    if (compose.services[name] === undefined) problems.push(`service ${name} is missing`);
  }
  const gateways = gatewayServices(compose);
  if (gateways.length < 3) problems.push(`expected at least 3 gateway services (image ${GATEWAY_IMAGE}), found ${gateways.length}`);
  const redis = compose.services[REDIS_SERVICE];
  if (redis !== undefined) problems.push(...checkRedis(redis));
  const ports = new Map<string, number>();
  for (const [name, service] of gateways) {
    const { problems: found, port } = checkGateway(name, service, root);
    problems.push(...found);
    ports.set(name, port);
  }
  const demo = compose.services[DEMO_SERVICE];
  if (demo !== undefined) {
    const { problems: found, port } = checkGateway(DEMO_SERVICE, demo, root, DEMO_VARIABLES);
    problems.push(...found, ...checkDemo(demo, gateways[0]?.[1]));
    ports.set(DEMO_SERVICE, port);
  }
  const lb = compose.services[LB_SERVICE];
  if (lb !== undefined) problems.push(...checkLb(lb, ports, new Set(gateways.map(([name]) => name)), root));
  return problems;
}

function checkInterpolations(text: string): string[] {
  const problems: string[] = [];
  for (const [, name, rest] of text.matchAll(/\$\{(\w+)([^}]*)\}/g)) {
    if (!INTERPOLATED_VARIABLES.includes(name!)) problems.push(`\${${name}} is not a documented compose variable`);
    else if (!rest!.startsWith(':?')) problems.push(`\${${name}} must be required (\${${name}:?message}), never defaulted`);
  }
  return problems;
}

function checkRedis(redis: ComposeService): string[] {
  const problems: string[] = [];
  const test = testCommand(redis).join(' ');
  if (!/redis-cli( .*)? ping/.test(test)) problems.push('redis healthcheck must run redis-cli ping');
  const command = Array.isArray(redis.command) ? redis.command.join(' ') : (redis.command ?? '');
  if (!/--appendonly yes/.test(command)) problems.push('redis must run with --appendonly yes (history survives restarts)');
  if (!(redis.volumes ?? []).some((v) => typeof v === 'string' && v.endsWith(':/data'))) problems.push('redis needs a volume at /data');
  return problems;
}

/** A gateway service, or one that reads the gateway's config plus `extraVariables` (the demo). */
function checkGateway(name: string, service: ComposeService, root: string, extraVariables: readonly string[] = []): { problems: string[]; port: number } {
  const problems: string[] = [];
  const env = environment(service);
  for (const variable of unknownVariables(Object.keys(env)).filter((v) => !extraVariables.includes(v))) {
    problems.push(`${name}: env ${variable} is not a variable the gateway reads (CONFIG_VARIABLES)`);
  }
  const resolved = Object.fromEntries(Object.entries(env)
    .filter(([k]) => !extraVariables.includes(k))
    .map(([k, v]) => [k, v.startsWith('${') ? TEST_JWT_SECRET : v]));
  let port = 8080;
  let graceMs = 10000;
  try {
    const config = gatewayConfig(resolved);
    port = config.port;
    graceMs = config.shutdownGraceMs;
    if (config.redis.mode !== 'standalone' || new URL(config.redis.url).hostname !== REDIS_SERVICE) problems.push(`${name}: REDIS_URL must point at the ${REDIS_SERVICE} service`);
  } catch (error) {
    problems.push(`${name}: the gateway refuses this configuration: ${(error as Error).message}`);
  }
  if (!/^\$\{JWT_SECRET:\?/.test(env.JWT_SECRET ?? '')) problems.push(`${name}: JWT_SECRET must come from \${JWT_SECRET:?…}, never a literal`);
  if (!dependsHealthy(service, REDIS_SERVICE)) problems.push(`${name}: must depend on ${REDIS_SERVICE} with condition service_healthy`);
  problems.push(...checkHealthcheck(name, service, root));
  const stop = composeSeconds(service.stop_grace_period ?? '10s');
  if (!(stop > graceMs / 1000)) problems.push(`${name}: stop_grace_period ${stop} s must exceed SHUTDOWN_GRACE_MS ${graceMs / 1000} s`);
  return { problems, port };
}

function checkHealthcheck(name: string, service: ComposeService, root: string): string[] {
  const test = testCommand(service);
  const script = test.find((arg) => arg.endsWith('healthcheck.js'));
  const path = test.find((arg) => arg.startsWith('/'));
  const problems: string[] = [];
  if (test[0] !== 'CMD' || script === undefined) problems.push(`${name}: healthcheck must run ["CMD", "node", "deploy/docker/healthcheck.js", <path>]`);
  else if (!existsSync(join(root, script))) problems.push(`${name}: healthcheck script ${script} does not exist`);
  if (path === undefined || !PROBE_PATHS.includes(path)) problems.push(`${name}: healthcheck path ${path} is not one of ${PROBE_PATHS.join(', ')}`);
  return problems;
}

/** Upstream blocks of the LB config: name → `host:port` of each server. */
function upstreamServers(http: Directive | undefined): Map<string, string[]> {
  const blocks = (http?.block ?? []).filter((d) => d.name === 'upstream');
  return new Map(blocks.map((u) => [u.args[0] ?? '', (u.block ?? []).filter((d) => d.name === 'server').map((d) => d.args[0] ?? '')]));
}

function checkLb(lb: ComposeService, servicePorts: Map<string, number>, gatewayNames: Set<string>, root: string): string[] {
  const problems: string[] = [];
  const mount = (lb.volumes ?? []).find((v): v is string => typeof v === 'string' && v.split(':')[1] === '/etc/nginx/nginx.conf');
  const file = mount === undefined ? undefined : join(root, mount.split(':')[0]!);
  if (file === undefined || !existsSync(file)) return [`${LB_SERVICE}: must mount an existing nginx.conf at /etc/nginx/nginx.conf`];
  const conf = readFileSync(file, 'utf8');
  problems.push(...checkSseLoadBalancer(conf).map((p) => `${LB_SERVICE}: ${p}`));
  const http = parseNginx(conf).find((d) => d.name === 'http');
  const locations = (http?.block ?? []).filter((d) => d.name === 'server').flatMap((s) => (s.block ?? []).filter((d) => d.name === 'location'));
  const upstreamOf = (path: string): string | undefined =>
    /^http:\/\/([\w.-]+)$/.exec(locations.find((l) => l.args.join(' ') === path)?.block?.find((d) => d.name === 'proxy_pass')?.args[0] ?? '')?.[1];
  const upstreams = upstreamServers(http);
  // Every server of every upstream is a compose service on the port it listens on.
  for (const [name, servers] of upstreams) {
    for (const server of servers) {
      const [host = '', port] = server.split(':');
      if (servicePorts.get(host) !== Number(port)) problems.push(`${LB_SERVICE}: upstream ${name} server ${server} is not a service of this file on its port`);
      else if (!dependsHealthy(lb, host)) problems.push(`${LB_SERVICE}: must depend on ${host} with condition service_healthy`);
    }
  }
  // The streams' upstream is exactly the gateway services; the demo's is the demo service.
  const streams = upstreams.get(upstreamOf('/') ?? '') ?? [];
  const expected = [...gatewayNames].map((name) => `${name}:${servicePorts.get(name)}`).sort();
  if ([...streams].sort().join() !== expected.join()) problems.push(`${LB_SERVICE}: upstream servers ${[...streams].sort().join(', ')} are not the gateway services ${expected.join(', ')}`);
  if (servicePorts.has(DEMO_SERVICE) && (upstreams.get(upstreamOf('/demo') ?? '') ?? []).join() !== `${DEMO_SERVICE}:${servicePorts.get(DEMO_SERVICE)}`) {
    problems.push(`${LB_SERVICE}: location /demo must proxy to the ${DEMO_SERVICE} service`);
  }
  const listen = (http?.block ?? []).filter((d) => d.name === 'server').flatMap((s) => (s.block ?? []).filter((d) => d.name === 'listen')).map((d) => d.args[0]);
  const published = (lb.ports ?? []).map((p) => (typeof p === 'string' ? p.split(':').pop() : String(p.target)));
  if (!published.some((target) => listen.includes(target))) problems.push(`${LB_SERVICE}: no published port reaches nginx's listen port (${listen.join(', ')})`);
  return problems;
}

function checkDemo(demo: ComposeService, gateway: ComposeService | undefined): string[] {
  const problems: string[] = [];
  if (gateway !== undefined && environment(demo).REDIS_URL !== environment(gateway).REDIS_URL) problems.push(`${DEMO_SERVICE}: REDIS_URL differs from the gateways'`);
  const build = demo.build as { target?: string } | undefined;
  if (build?.target !== 'demo') problems.push(`${DEMO_SERVICE}: must build the Dockerfile's demo target`);
  return problems;
}
