// `npm run token -- --sub alice --subscribe 'execution:*' [--publish …] [--ttl 1h]`
// Mints an HS256 token for development and operations scripts, with JWT_SECRET or, when unset,
// the secret a running development gateway generated. Prints only the token on stdout.
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { isChannelPattern } from '../auth/channel-patterns';
import { ConfigError, readJwtKey, text } from '../config';
import { devSecretFile, readDevSecret } from '../dev-secret';

const USAGE = `Usage: npm run token -- --sub <subject> [--subscribe <pattern>]… [--publish <pattern>]… [--ttl 1h]

Mints a JWT the gateway accepts, signed (HS256) with JWT_SECRET or, when it is unset, with the
development secret of a gateway started by \`npm start\` without a JWT key.

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
export function parseTtl(value: string): number {
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

/** The signing secret: JWT_SECRET, else the development secret file. */
function signingSecret(env: NodeJS.ProcessEnv): Uint8Array {
  const key = readJwtKey(env);
  if (key?.kind === 'secret') return key.secret;
  if (key !== undefined) {
    const variable = key.kind === 'jwks' ? 'JWT_JWKS_URL' : 'JWT_PUBLIC_KEY';
    throw new ConfigError(variable, `${variable} is set: tokens for it are signed with the private key by your identity provider; this tool signs only with JWT_SECRET`);
  }
  const file = devSecretFile();
  const secret = readDevSecret(file);
  if (secret === undefined) {
    throw new ConfigError('JWT_SECRET', `JWT_SECRET is unset and there is no development secret at ${file}: start the gateway with \`npm start\` first, or set JWT_SECRET`);
  }
  return secret;
}

export async function mintToken(argv: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
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
  const secret = signingSecret(env);
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
    const token = await mintToken(process.argv.slice(2), process.env);
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
