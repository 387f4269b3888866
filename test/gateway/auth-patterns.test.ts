import { allows, isChannelPattern } from '../../gateway/src/auth/channel-patterns';

describe('allows', () => {
  test('an exact channel name covers only that channel', () => {
    expect(allows(['execution:42'], 'execution:42')).toBe(true);
    expect(allows(['execution:42'], 'execution:420')).toBe(false);
    expect(allows(['execution:42'], 'execution:4')).toBe(false);
    expect(allows(['Execution:42'], 'execution:42')).toBe(false);
  });

  test('a prefix ending in * covers the channels starting with it', () => {
    expect(allows(['execution:*'], 'execution:42')).toBe(true);
    expect(allows(['execution:*'], 'execution:42:logs')).toBe(true);
    expect(allows(['execution:*'], 'execution')).toBe(false);
    expect(allows(['execution:*'], 'executions:1')).toBe(false);
    expect(allows(['crew:7*'], 'crew:77')).toBe(true);
    expect(allows(['crew:7*'], 'crew:8')).toBe(false);
  });

  test('* alone covers every channel', () => {
    expect(allows(['*'], 'anything:at-all')).toBe(true);
  });

  test('no claim, no right', () => {
    expect(allows([], 'execution:42')).toBe(false);
  });

  test('any matching pattern of several suffices', () => {
    expect(allows(['crew:*', 'execution:42'], 'execution:42')).toBe(true);
    expect(allows(['crew:*', 'execution:42'], 'crew:1')).toBe(true);
    expect(allows(['crew:*', 'execution:42'], 'execution:43')).toBe(false);
  });

  test.each([
    ['a * in the middle', 'exec*tion:42', 'exec*tion:42'],
    ['a * in the middle as a wildcard', 'exec*:42', 'execution:42'],
    ['two stars', 'execution:**', 'execution:42'],
    ['a regular expression', 'execution:[0-9]*', 'execution:42'],
    ['spaces', 'execution: *', 'execution: 1'],
    ['an empty pattern', '', ''],
    ['a hash tag', '{execution}:*', '{execution}:1'],
    ['a prefix starting with a separator', ':*', ':x'],
    ['an over-long exact name', 'a'.repeat(201), 'a'.repeat(201)],
  ])('malformed patterns grant nothing: %s', (_name, pattern, channel) => {
    expect(isChannelPattern(pattern)).toBe(false);
    expect(allows([pattern], channel)).toBe(false);
  });

  test('non-string entries are ignored', () => {
    expect(allows([42 as unknown as string, 'a:1'], 'a:1')).toBe(true);
    expect(allows([null as unknown as string], 'a:1')).toBe(false);
  });
});

describe('isChannelPattern', () => {
  test.each(['execution:42', 'execution:*', '*', 'crew:7:runs', 'a*', 'A.b_c-d:*'])('%s is a pattern', (pattern) => {
    expect(isChannelPattern(pattern)).toBe(true);
  });
});
