// Enough of `kustomize build` for this project's k8s/ folder, so the tests validate what an
// overlay really produces: resources (files and folders), namespace, images, strategic-merge
// patches (maps merged, lists of named items merged by name), and labels. A kustomization field
// it does not implement is an error, never silently ignored.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './k8s-models';

export interface Loaded {
  object: K8sObject;
  /** The file it came from (after patches: the resource's file). */
  file: string;
}

const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'patches', 'labels']);
const CLUSTER_SCOPED = new Set(['Namespace']);

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

export function readYamlObjects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) throw new KustomizeError(`${file}: ${document.errors[0]!.message}`);
      return document.toJS() as unknown;
    })
    .filter((value): value is K8sObject => value !== null && typeof value === 'object');
}

function readKustomization(dir: string): Record<string, unknown> {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new KustomizeError(`${dir} has no kustomization.yaml`);
  const [kustomization] = readYamlObjects(file);
  if (kustomization === undefined) throw new KustomizeError(`${file} is empty`);
  if (kustomization.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || kustomization.kind !== 'Kustomization') {
    throw new KustomizeError(`${file}: apiVersion/kind must be kustomize.config.k8s.io/v1beta1 Kustomization`);
  }
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED_FIELDS.has(key));
  if (unsupported.length > 0) throw new KustomizeError(`${file}: fields not understood by the test renderer: ${unsupported.join(', ')}`);
  return kustomization;
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** The objects `kustomize build <dir>` would emit. */
export function kustomizeBuild(dir: string): Loaded[] {
  const kustomization = readKustomization(dir);
  let loaded = list<string>(kustomization.resources).flatMap((resource) => {
    const path = join(dir, resource);
    if (!existsSync(path)) throw new KustomizeError(`${dir}/kustomization.yaml: resource ${resource} does not exist`);
    return statSync(path).isDirectory() ? kustomizeBuild(path) : readYamlObjects(path).map((object) => ({ object, file: path }));
  });
  for (const patch of list<{ path?: string }>(kustomization.patches)) {
    if (patch.path === undefined) throw new KustomizeError(`${dir}: only file patches (path:) are supported`);
    loaded = applyPatch(loaded, readYamlObjects(join(dir, patch.path))[0] ?? {}, join(dir, patch.path));
  }
  for (const { pairs } of list<{ pairs?: Record<string, string> }>(kustomization.labels)) {
    loaded.forEach(({ object }) => {
      const metadata = (object.metadata ??= {}) as { labels?: Record<string, string> };
      metadata.labels = { ...metadata.labels, ...pairs };
    });
  }
  for (const image of list<{ name: string; newName?: string; newTag?: string }>(kustomization.images)) {
    loaded.forEach(({ object }) => podContainers(object).forEach((container) => retag(container, image)));
  }
  if (typeof kustomization.namespace === 'string') {
    const namespace = kustomization.namespace;
    loaded.filter(({ object }) => !CLUSTER_SCOPED.has(String(object.kind))).forEach(({ object }) => {
      (object.metadata as Record<string, unknown>).namespace = namespace;
    });
  }
  return loaded;
}

function applyPatch(loaded: Loaded[], patch: K8sObject, file: string): Loaded[] {
  const name = (patch.metadata as { name?: string } | undefined)?.name;
  const index = loaded.findIndex(({ object }) => object.kind === patch.kind && (object.metadata as { name?: string }).name === name);
  if (index < 0) throw new KustomizeError(`${file}: patch target ${String(patch.kind)}/${name} is not among the resources`);
  const target = loaded[index]!;
  const patched = [...loaded];
  patched[index] = { file: target.file, object: strategicMerge(target.object, patch) as K8sObject };
  return patched;
}

/** Maps merge key by key; lists whose items all have a `name` merge item by item; other lists are replaced. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch) && [...base, ...patch].every(hasName)) {
    const merged = base.map((item: { name: string }) => {
      const update = patch.find((p: { name: string }) => p.name === item.name);
      return update === undefined ? item : strategicMerge(item, update);
    });
    return [...merged, ...patch.filter((p: { name: string }) => !base.some((b: { name: string }) => b.name === p.name))];
  }
  if (isMap(base) && isMap(patch)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) merged[key] = key in base ? strategicMerge(base[key], value) : value;
    return merged;
  }
  return patch;
}

const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const hasName = (value: unknown): value is { name: string } => isMap(value) && typeof value.name === 'string';

export interface Container {
  name?: string;
  image?: string;
  [key: string]: unknown;
}

/** The containers of a workload's pod template (Deployment, StatefulSet…); none for other kinds. */
export function podContainers(object: K8sObject): Container[] {
  const spec = (object.spec as { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } } | undefined)?.template?.spec;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
}

function retag(container: Container, image: { name: string; newName?: string; newTag?: string }): void {
  const match = /^([^:@]+(?::\d+\/[^:@]+)?)(?::([^@]+))?(@.+)?$/.exec(container.image ?? '');
  if (match === null || match[1] !== image.name) return;
  container.image = `${image.newName ?? match[1]}:${image.newTag ?? match[2] ?? 'latest'}`;
}
