// The bundled event schemas, the loader that compiles them (plus a SCHEMAS_DIR-style folder), and
// the envelope schema.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUNDLED_SCHEMAS_ROOT,
  compileEnvelopeValidator,
  loadSchemaRegistry,
  SchemaLoadError,
  type BundledEventMap,
} from '@sse-gateway/schemas';

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Valid `data` per bundled type. Typed with the generated types, so `tsc` checks the examples
 * against the TypeScript types while the tests check them against the JSON Schemas.
 */
const valid: { [T in keyof BundledEventMap]: BundledEventMap[T][] } = {
  'execution.status': [
    { executionId: '42', status: 'queued' },
    { executionId: '42', status: 'cancelled', message: 'stopped by alice' },
  ],
  'execution.progress': [
    { executionId: '42', step: 0 },
    { executionId: '42', step: 3, totalSteps: 10, percent: 30, agent: 'researcher', task: 'collect sources', message: 'halfway' },
  ],
  'execution.log': [
    { executionId: '42', level: 'info', message: '' },
    { executionId: '42', level: 'error', message: 'boom', agent: 'writer', task: 'draft' },
  ],
  'execution.output': [
    { executionId: '42', output: 'text' },
    { executionId: '42', output: { rows: [1, 2] }, final: true },
    { executionId: '42', output: null },
    { executionId: '42', output: [1, 'a'] },
  ],
  'execution.error': [{ executionId: '42', error: { code: 'TIMEOUT', message: 'took too long' } }],
  'gateway.gap': [
    { channel: 'execution:42', lastEventId: '1-0', earliestId: '5-0' },
    { channel: 'execution:42', lastEventId: '1-0', earliestId: null },
  ],
  'gateway.token_expired': [{ expiredAt: '2026-11-25T10:00:00.000Z' }],
};

/** Invalid `data` per bundled type, each with the path of the problem it must report. */
const invalid: Record<keyof BundledEventMap, [unknown, string][]> = {
  'execution.status': [
    [{ executionId: '42', status: 'paused' }, '/status'],
    [{ status: 'running' }, '/'],
    [{ executionId: '', status: 'running' }, '/executionId'],
    [{ executionId: '42', status: 'running', extra: 1 }, '/'],
    [{ executionId: '42', status: 'running', message: 'x'.repeat(4001) }, '/message'],
  ],
  'execution.progress': [
    [{ executionId: '42', step: 1.5 }, '/step'],
    [{ executionId: '42', step: -1 }, '/step'],
    [{ executionId: '42', step: 1, percent: 100.1 }, '/percent'],
    [{ executionId: '42', step: 1, totalSteps: '10' }, '/totalSteps'],
    [{ executionId: '42' }, '/'],
  ],
  'execution.log': [
    [{ executionId: '42', level: 'trace', message: 'x' }, '/level'],
    [{ executionId: '42', level: 'info' }, '/'],
    [{ executionId: '42', level: 'info', message: 'x', agent: '' }, '/agent'],
  ],
  'execution.output': [
    [{ executionId: '42' }, '/'],
    [{ executionId: '42', output: 'x', final: 'yes' }, '/final'],
  ],
  'execution.error': [
    [{ executionId: '42', error: 'boom' }, '/error'],
    [{ executionId: '42', error: { code: 'X' } }, '/error'],
    [{ executionId: '42', error: { code: '', message: 'x' } }, '/error/code'],
  ],
  'gateway.gap': [
    [{ channel: 'bad channel', lastEventId: '1-0', earliestId: null }, '/channel'],
    [{ channel: 'execution:42', lastEventId: '1-0' }, '/'],
  ],
  'gateway.token_expired': [
    [{ expiredAt: 'yesterday' }, '/expiredAt'],
    [{}, '/'],
  ],
};

describe('bundled schemas', () => {
  const registry = loadSchemaRegistry();

  test('every file in schemas/events compiles, one type per file, with the SPEC types present', () => {
    const files = readdirSync(join(BUNDLED_SCHEMAS_ROOT, 'events')).filter((f) => f.endsWith('.schema.json'));
    expect(registry.types).toEqual(files.map((f) => f.slice(0, -'.schema.json'.length)).sort());
    expect(registry.types).toEqual(expect.arrayContaining(['execution.status', 'execution.progress', 'execution.log', 'execution.output', 'execution.error']));
  });

  test('every bundled type has valid and invalid examples here', () => {
    expect(Object.keys(valid).sort()).toEqual(registry.types);
    expect(Object.keys(invalid).sort()).toEqual(registry.types);
  });

  describe.each(Object.keys(valid) as (keyof BundledEventMap)[])('%s', (type) => {
    test.each(valid[type].map((data) => [JSON.stringify(data), data]))('accepts %s', (_json, data) => {
      expect(registry.validate(type, data)).toEqual([]);
    });
    test.each(invalid[type].map(([data, path]) => [JSON.stringify(data), data, path]))('refuses %s', (_json, data, path) => {
      const problems = registry.validate(type, data);
      expect(problems.map((p) => p.path)).toContain(path);
      for (const problem of problems) expect(problem.message).not.toBe('');
    });
  });

  test('an unknown type is a problem, not an exception', () => {
    expect(registry.has('execution.nope')).toBe(false);
    expect(registry.validate('execution.nope', {})).toEqual([{ path: '/type', message: 'unknown event type "execution.nope"' }]);
  });
});

describe('the envelope schema', () => {
  const validate = compileEnvelopeValidator();
  const envelope = { id: '1732528000000-0', channel: 'execution:42', type: 'execution.status', time: '2026-11-25T10:00:00.000Z', data: { executionId: '42', status: 'running' } };

  test('accepts an envelope', () => {
    expect(validate(envelope)).toEqual([]);
  });

  test.each([
    ['no id', { ...envelope, id: undefined }, '/'],
    ['an id that is not a stream id', { ...envelope, id: '42' }, '/id'],
    ['a bad channel', { ...envelope, channel: 'a b' }, '/channel'],
    ['a bad type', { ...envelope, type: 'Execution' }, '/type'],
    ['a time that is not ISO-8601', { ...envelope, time: 'now' }, '/time'],
    ['no data', { ...envelope, data: undefined }, '/'],
    ['an extra property', { ...envelope, extra: true }, '/'],
  ])('refuses %s', (_what, value, path) => {
    expect(validate(JSON.parse(JSON.stringify(value))).map((p) => p.path)).toContain(path);
  });
});

describe('an extra folder of schemas (SCHEMAS_DIR)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sse-schemas-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const loadError = (): SchemaLoadError => {
    try {
      loadSchemaRegistry({ schemasDir: dir });
    } catch (error) {
      expect(error).toBeInstanceOf(SchemaLoadError);
      return error as SchemaLoadError;
    }
    throw new Error('the folder loaded without error');
  };

  test('adds its types to the bundled ones; other files are ignored', () => {
    write('deploy.finished.schema.json', {
      $schema: DRAFT_2020_12,
      type: 'object',
      required: ['service'],
      properties: { service: { type: 'string' } },
    });
    write('README.md', '# not a schema');
    const registry = loadSchemaRegistry({ schemasDir: dir });
    expect(registry.has('deploy.finished')).toBe(true);
    expect(registry.has('execution.status')).toBe(true);
    expect(registry.validate('deploy.finished', { service: 'api' })).toEqual([]);
    expect(registry.validate('deploy.finished', {})).toEqual([{ path: '/', message: "must have required property 'service'" }]);
  });

  test('a schema without $schema is taken as draft 2020-12', () => {
    write('plain.schema.json', { type: 'object' });
    expect(loadSchemaRegistry({ schemasDir: dir }).validate('plain', [])).toEqual([{ path: '/', message: 'must be object' }]);
  });

  test('redefining a bundled type is refused, naming the file', () => {
    const path = write('execution.status.schema.json', { $schema: DRAFT_2020_12, type: 'object' });
    const error = loadError();
    expect(error.file).toBe(path);
    expect(error.message).toBe(`schema ${path}: type "execution.status" is bundled and cannot be redefined`);
  });

  test.each(['Deploy.schema.json', 'deploy finished.schema.json', 'deploy..finished.schema.json', '.schema.json'])('a file name that is not an event type (%s)', (name) => {
    const path = write(name, { $schema: DRAFT_2020_12 });
    const error = loadError();
    expect(error.file).toBe(path);
    expect(error.message).toContain('is not a valid event type name');
  });

  test('invalid JSON', () => {
    const path = write('broken.schema.json', '{ "type": "object", }');
    const error = loadError();
    expect(error.file).toBe(path);
    expect(error.message).toMatch(/not readable JSON/);
  });

  test('JSON that is not an object', () => {
    const path = write('list.schema.json', '[]');
    expect(loadError()).toMatchObject({ file: path, message: expect.stringContaining('must be a JSON object') });
  });

  test.each(['http://json-schema.org/draft-07/schema#', 'https://json-schema.org/draft/2019-09/schema'])('a $schema other than 2020-12 (%s)', ($schema) => {
    const path = write('old.schema.json', { $schema, type: 'object' });
    const error = loadError();
    expect(error.file).toBe(path);
    expect(error.message).toContain('"$schema" must be draft 2020-12');
  });

  test('a schema ajv cannot compile (unknown type, unknown keyword in strict mode)', () => {
    const path = write('wrong.schema.json', { $schema: DRAFT_2020_12, type: 'nope' });
    expect(loadError()).toMatchObject({ file: path });
    rmSync(path);
    const typo = write('typo.schema.json', { $schema: DRAFT_2020_12, type: 'object', propertiez: {} });
    expect(loadError()).toMatchObject({ file: typo, message: expect.stringContaining('propertiez') });
  });

  test('a folder that does not exist', () => {
    const missing = join(dir, 'missing');
    expect(() => loadSchemaRegistry({ schemasDir: missing })).toThrow(SchemaLoadError);
    expect(() => loadSchemaRegistry({ schemasDir: missing })).toThrow(missing);
  });
});
