import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isEventType } from './names';

/** Where the bundled schemas live, from `src/` (development) and `dist/` (built) alike. */
export const BUNDLED_SCHEMAS_ROOT = resolve(__dirname, '..');

const SCHEMA_FILE_SUFFIX = '.schema.json';

/** One problem found in an event: where (a JSON pointer into the event) and what. */
export interface ValidationProblem {
  path: string;
  message: string;
}

/** A schema file that cannot be used: unreadable, not JSON, not a valid schema, or a clash. */
export class SchemaLoadError extends Error {
  override readonly name = 'SchemaLoadError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`schema ${file}: ${reason}`);
  }
}

/** The event types known to a process, each compiled once. */
export interface SchemaRegistry {
  /** Every known type, sorted. */
  readonly types: readonly string[];
  has(type: string): boolean;
  /** Problems of `data` against the schema of `type` (empty when valid). `type` must be known. */
  validate(type: string, data: unknown): ValidationProblem[];
}

export interface SchemaRegistryOptions {
  /** An extra folder of `<type>.schema.json` files, added to the bundled types. */
  schemasDir?: string;
}

/**
 * Compiles the bundled event schemas, plus those of `schemasDir`, once.
 * A bundled type cannot be redefined; any unusable file throws {@link SchemaLoadError}.
 */
export function loadSchemaRegistry(options: SchemaRegistryOptions = {}): SchemaRegistry {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();
  for (const file of schemaFiles(join(BUNDLED_SCHEMAS_ROOT, 'events'))) {
    validators.set(file.type, compile(ajv, file.path));
  }
  if (options.schemasDir !== undefined) {
    for (const file of schemaFiles(resolve(options.schemasDir))) {
      if (validators.has(file.type)) {
        throw new SchemaLoadError(file.path, `type "${file.type}" is bundled and cannot be redefined`);
      }
      validators.set(file.type, compile(ajv, file.path));
    }
  }
  return registryOf(validators);
}

function registryOf(validators: Map<string, ValidateFunction>): SchemaRegistry {
  return {
    types: [...validators.keys()].sort(),
    has: (type) => validators.has(type),
    validate(type, data) {
      const validate = validators.get(type);
      if (validate === undefined) return [{ path: '/type', message: `unknown event type "${type}"` }];
      return validate(data) ? [] : problemsOf(validate.errors ?? []);
    },
  };
}

/** The envelope schema, compiled on its own: for tests and tools, not the delivery hot path. */
export function compileEnvelopeValidator(): (value: unknown) => ValidationProblem[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const validate = compile(ajv, join(BUNDLED_SCHEMAS_ROOT, 'envelope.schema.json'));
  return (value) => (validate(value) ? [] : problemsOf(validate.errors ?? []));
}

function problemsOf(errors: ErrorObject[]): ValidationProblem[] {
  return errors.map((error) => ({
    path: error.instancePath === '' ? '/' : error.instancePath,
    message: describe(error),
  }));
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `unknown property "${String(params['additionalProperty'])}"`;
  if (error.keyword === 'enum') return `${error.message ?? 'invalid'}: ${JSON.stringify(params['allowedValues'])}`;
  return error.message ?? error.keyword;
}

function schemaFiles(dir: string): { type: string; path: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new SchemaLoadError(dir, `cannot read the folder (${(error as Error).message})`);
  }
  return names
    .filter((name) => name.endsWith(SCHEMA_FILE_SUFFIX))
    .sort()
    .map((name) => {
      const type = name.slice(0, -SCHEMA_FILE_SUFFIX.length);
      const path = join(dir, name);
      if (!isEventType(type)) throw new SchemaLoadError(path, `"${type}" is not a valid event type name`);
      return { type, path };
    });
}

function compile(ajv: Ajv2020, path: string): ValidateFunction {
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SchemaLoadError(path, `not readable JSON (${(error as Error).message})`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new SchemaLoadError(path, 'a schema must be a JSON object');
  }
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared !== undefined && declared !== 'https://json-schema.org/draft/2020-12/schema') {
    throw new SchemaLoadError(path, `"$schema" must be draft 2020-12, got ${JSON.stringify(declared)}`);
  }
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new SchemaLoadError(path, (error as Error).message);
  }
}
