import winston from 'winston';

type LogMeta = Record<string, unknown>;

/** JSON-lines logging. Never pass a token, or a URL that may carry one. */
export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
}

const RANKS: Readonly<Record<string, number>> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 };

const ignore = (): void => undefined;

/**
 * JSON lines on stdout (or on `stream`, for tests that capture them). A level below the
 * configured one is a no-op function: winston pushes even a filtered entry through its stream
 * machinery, which showed in connect-rate profiles (one `info` per stream opened and closed).
 */
export function createLogger(level: string, stream: NodeJS.WritableStream = process.stdout): Logger {
  // A closed log pipe (EPIPE) must not bring the gateway down: there is nowhere to report it.
  stream.on('error', ignore);
  const winstonLogger = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  const threshold = RANKS[level] ?? RANKS['info'] as number;
  const at = (name: string): Logger['info'] =>
    (RANKS[name] as number) <= threshold ? (message, meta) => winstonLogger.log(name, message, meta ?? {}) : ignore;
  return { error: at('error'), warn: at('warn'), info: at('info') };
}
