import winston from 'winston';

export type Logger = winston.Logger;

/** JSON lines on stdout (or on `stream`, for tests that capture them). */
export function createLogger(level: string, stream: NodeJS.WritableStream = process.stdout): Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
}
