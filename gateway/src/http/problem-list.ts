// Validation problems as an error body shows them: at most MAX_PROBLEMS, each path and message cut
// to MAX_CHARS, and how many more there were. Paths carry the client's own keys, so without these
// bounds a 64 KB body could make a multi-megabyte answer; with them a body stays under ~50 KB.
import type { ValidationProblem } from '@sse-gateway/publisher';
import { clip } from '@sse-gateway/publisher/protocol';

const MAX_PROBLEMS = 100;
const MAX_CHARS = 200;

export function problemList(problems: readonly ValidationProblem[]): { errors: ValidationProblem[]; more: number } {
  const errors = problems.slice(0, MAX_PROBLEMS).map((p) => ({ path: clip(p.path, MAX_CHARS), message: clip(p.message, MAX_CHARS) }));
  return { errors, more: problems.length - errors.length };
}

/** A client-given name (a channel that may not be valid) as an error message may quote it. */
export function clipped(text: string): string {
  return clip(text, MAX_CHARS);
}
