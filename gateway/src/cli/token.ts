// `npm run token -- --sub alice --subscribe 'execution:*' [--publish …] [--ttl 1h]`
// Mints an HS256 token for development and operations scripts, with JWT_SECRET or, when unset,
// the user's development secret (the one every development gateway verifies with; made here when
// no gateway has made it yet). Prints only the token on stdout.
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { isChannelPattern } from '../auth/channel-patterns';
import { ConfigError, readJwtKey, text } from '../config';
import { loadDevSecret } from '../dev-secret';

const USAGE = `Usage: npm run token -- --sub <subject> [--subscribe <pattern>]… [--publish <pattern>]… [--ttl 1h]

Mints a JWT the gateway accepts, signed (HS256) with JWT_SECRET or, when it is unset, with your
development secret: the one every gateway started without a JWT key (npm start, npm run demo)
verifies with. It is made on first use, by whichever of them runs first.

  --sub <subject>        the token's sub (required)
  --subscribe <pattern>  channels it may subscribe to: a channel name or a prefix ending in *
                         (execution:* ; * for all). Repeat it or separate patterns with commas.
  --publish <pattern>    channels it may publish to, the same way
  --ttl <duration>       lifetime: 30s, 15m, 1h, 7d, or seconds (default 1h)
  -h, --help             this text

JWT_ISSUER and JWT_AUDIENCE, when set, become the token's iss and aud.`;

/** A command-line mistake: exit code 2 with the usage hint. */
class UsageError extends Error {}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `30s`, `15m`, `1h`, `7d` or plain seconds, in seconds. */
function parseTtl(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new UsageError(`--ttl must be a positive duration like 30s, 15m, 1h or 7d, got ${JSON.stringify(value)}`);
  return seconds;
}

function patterns(values: string[] | undefined, option: string): string[] {
  const list = (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
  for (const pattern of list) {
    if (!isChannelPattern(pattern)) throw new UsageError(`--${option} ${JSON.stringify(pattern)} is not a channel name or a prefix ending in *`);
  }
  return list;
}

/** The signing secret: JWT_SECRET, else the development secret (refused with NODE_ENV=production, like the gateway). */
function signingSecret(env: NodeJS.ProcessEnv, note: (line: string) => void): Uint8Array {
  const key = readJwtKey(env);
  if (key?.kind === 'secret') return key.secret;
  if (key !== undefined) {
    const variable = key.kind === 'jwks' ? 'JWT_JWKS_URL' : 'JWT_PUBLIC_KEY';
    throw new ConfigError(variable, `${variable} is set: tokens for it are signed with the private key by your identity provider; this tool signs only with JWT_SECRET`);
  }
  if (env.NODE_ENV === 'production') {
    throw new ConfigError('JWT_SECRET', 'JWT_SECRET is unset: with NODE_ENV=production there is no development secret; set the JWT_SECRET your gateways use');
  }
  let loaded;
  try {
    loaded = loadDevSecret();
  } catch (error) {
    throw new ConfigError('JWT_SECRET', `JWT_SECRET is unset and the development secret cannot be used: ${(error as Error).message}`);
  }
  if (loaded.created) note(`made the development secret ${loaded.file}; development gateways started without a JWT key use it too`);
  return loaded.secret;
}

/** The token for `argv`, or undefined for --help. `note` receives remarks for stderr. */
async function mintToken(argv: string[], env: NodeJS.ProcessEnv, note: (line: string) => void = () => {}): Promise<string | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sub: { type: 'string' },
      subscribe: { type: 'string', multiple: true },
      publish: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '1h' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const subject = values.sub?.trim();
  if (!subject) throw new UsageError('--sub is required');
  const ttl = parseTtl(values.ttl ?? '1h');
  const rights = { subscribe: patterns(values.subscribe, 'subscribe'), publish: patterns(values.publish, 'publish') };
  const secret = signingSecret(env, note);
  const jwt = new SignJWT({ sse: rights })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
  const issuer = text(env, 'JWT_ISSUER');
  const audience = text(env, 'JWT_AUDIENCE');
  if (issuer !== undefined) jwt.setIssuer(issuer);
  if (audience !== undefined) jwt.setAudience(audience);
  return jwt.sign(secret);
}

async function main(): Promise<void> {
  try {
    const token = await mintToken(process.argv.slice(2), process.env, (line) => process.stderr.write(`token: ${line}\n`));
    process.stdout.write(token === undefined ? `${USAGE}\n` : `${token}\n`);
  } catch (error) {
    // parseArgs throws TypeErrors with codes ERR_PARSE_ARGS_* for unknown or malformed options.
    const usage = error instanceof UsageError || (error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
    if (usage) process.stderr.write('Run with --help for usage.\n');
    process.exitCode = usage ? 2 : 1;
  }
}

if (require.main === module) void main();
