/** `text` cut to at most `max` characters, marked with … when cut: error messages quote callers' input with it. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
