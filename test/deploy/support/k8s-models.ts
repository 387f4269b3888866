// Offline validation of Kubernetes objects. Two layers, because kubernetes-models 4.5.1 checks
// types, enums and required fields but accepts any unknown (e.g. misspelled) field:
// 1. `validate()` of the kubernetes-models class for the object's apiVersion/kind;
// 2. an unknown-field check that walks the object along the TypeScript declaration of the same
//    model (its .d.ts, read with the compiler API): every key must be a declared property or fall
//    under an index signature (labels, annotations, resource quantities).
import ts from 'typescript';
import { Namespace, ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';

export type K8sObject = Record<string, unknown> & { apiVersion?: unknown; kind?: unknown };

interface ModelEntry {
  /** The class: its constructor takes the object, `validate()` throws on errors. */
  model: new (data: never) => { validate(): void };
  /** Module path (inside node_modules) of its declaration, and the interface's name there. */
  declaration: string;
  interfaceName: string;
}

/** The kinds this project's manifests use; anything else is reported as unsupported. */
const MODELS: Record<string, ModelEntry> = {
  'v1/Namespace': { model: Namespace, declaration: 'kubernetes-models/v1/Namespace', interfaceName: 'INamespace' },
  'v1/ConfigMap': { model: ConfigMap, declaration: 'kubernetes-models/v1/ConfigMap', interfaceName: 'IConfigMap' },
  'v1/Secret': { model: Secret, declaration: 'kubernetes-models/v1/Secret', interfaceName: 'ISecret' },
  'v1/Service': { model: Service, declaration: 'kubernetes-models/v1/Service', interfaceName: 'IService' },
  'apps/v1/Deployment': { model: Deployment, declaration: 'kubernetes-models/apps/v1/Deployment', interfaceName: 'IDeployment' },
  'apps/v1/StatefulSet': { model: StatefulSet, declaration: 'kubernetes-models/apps/v1/StatefulSet', interfaceName: 'IStatefulSet' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: HorizontalPodAutoscaler, declaration: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', interfaceName: 'IHorizontalPodAutoscaler',
  },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget, declaration: 'kubernetes-models/policy/v1/PodDisruptionBudget', interfaceName: 'IPodDisruptionBudget',
  },
  'networking.k8s.io/v1/Ingress': { model: Ingress, declaration: 'kubernetes-models/networking.k8s.io/v1/Ingress', interfaceName: 'IIngress' },
};

export const objectKey = (object: K8sObject): string => `${String(object.apiVersion)}/${String(object.kind)}`;

/** Problems of one object: schema errors and unknown fields, each prefixed with `where`. */
export function validateObject(object: K8sObject, where: string): string[] {
  const entry = MODELS[objectKey(object)];
  if (entry === undefined) return [`${where}: unsupported apiVersion/kind ${objectKey(object)}`];
  const problems: string[] = [];
  try {
    new entry.model(structuredClone(object) as never).validate();
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  problems.push(...unknownFields(object, entry).map((p) => `${where}: ${p}`));
  return problems;
}

let program: { checker: ts.TypeChecker; types: Map<string, ts.Type> } | undefined;

/** One TypeScript program over the declarations of every supported model, built on first use. */
function declarations(): { checker: ts.TypeChecker; types: Map<string, ts.Type> } {
  if (program !== undefined) return program;
  const files = Object.values(MODELS).map((entry) => require.resolve(entry.declaration).replace(/\.js$/, '.d.ts'));
  const created = ts.createProgram(files, {
    noEmit: true, strict: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = created.getTypeChecker();
  const types = new Map<string, ts.Type>();
  Object.entries(MODELS).forEach(([key, entry], index) => {
    const source = created.getSourceFile(files[index]!);
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    const symbol = module === undefined ? undefined : checker.getExportsOfModule(module).find((s) => s.name === entry.interfaceName);
    if (symbol === undefined) throw new Error(`no interface ${entry.interfaceName} in ${files[index]}`);
    types.set(key, checker.getDeclaredTypeOfSymbol(symbol));
  });
  program = { checker, types };
  return program;
}

function unknownFields(object: K8sObject, entry: ModelEntry): string[] {
  const { checker, types } = declarations();
  const type = types.get(objectKey(object));
  if (type === undefined) throw new Error(`no declaration for ${entry.interfaceName}`);
  const problems: string[] = [];
  walk(checker, object, type, '', problems);
  return problems;
}

function walk(checker: ts.TypeChecker, value: unknown, declared: ts.Type, path: string, problems: string[]): void {
  if (value === null || typeof value !== 'object') return; // scalars: the schema validation's job
  const type = pickObjectType(checker, checker.getNonNullableType(declared), value, path);
  if (type === undefined) return;
  if (Array.isArray(value)) {
    const element = checker.getIndexTypeOfType(type, ts.IndexKind.Number);
    if (element !== undefined) value.forEach((item, index) => walk(checker, item, element, `${path}/${index}`, problems));
    return;
  }
  const indexType = checker.getIndexTypeOfType(type, ts.IndexKind.String);
  for (const [key, child] of Object.entries(value)) {
    const property = checker.getPropertyOfType(type, key);
    if (property !== undefined) walk(checker, child, checker.getTypeOfSymbol(property), `${path}/${key}`, problems);
    else if (indexType !== undefined) walk(checker, child, indexType, `${path}/${key}`, problems);
    else problems.push(`${path}/${key}: unknown field "${key}"`);
  }
}

/** For a union (e.g. `number | string`, or several object shapes), the member that fits `value`. */
function pickObjectType(checker: ts.TypeChecker, type: ts.Type, value: object, path: string): ts.Type | undefined {
  if (!type.isUnion()) return type;
  const candidates = type.types.filter((member) => (member.flags & ts.TypeFlags.Object) !== 0);
  if (candidates.length <= 1) return candidates[0];
  // Keep the candidate under which the value has the fewest unknown fields.
  let best: { type: ts.Type; count: number } | undefined;
  for (const candidate of candidates) {
    const problems: string[] = [];
    walk(checker, value, candidate, path, problems);
    if (best === undefined || problems.length < best.count) best = { type: candidate, count: problems.length };
  }
  return best?.type;
}
