// Every Kubernetes manifest under k8s/, validated offline: each overlay rendered like
// `kustomize build`, each object checked against the Kubernetes schemas (kubernetes-models) and
// for unknown fields, and the gateway Deployment checked against the gateway's real config.
// The second half mutates copies to prove each kind of mistake is caught.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigError, readJwtKey } from '../../gateway/src/config';
import { checkGatewayDeployment } from './support/k8s-checks';
import { validateObject, type K8sObject } from './support/k8s-models';
import { KustomizeError, kustomizeBuild, podContainers, readYamlObjects, type Loaded } from './support/kustomize';
import { CONFIG_VARIABLES } from './support/gateway-facts';

const ROOT = resolve(__dirname, '..', '..');
const K8S = join(ROOT, 'k8s');
const OVERLAYS = readdirSync(join(K8S, 'overlays')).map((name) => join(K8S, 'overlays', name));
const SECRET_TEMPLATE = join(K8S, 'secret.example.yaml');
const secretTemplates = (): K8sObject[] => readYamlObjects(SECRET_TEMPLATE);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const validateAll = (loaded: Loaded[]): string[] => loaded.flatMap(({ object, file }) => validateObject(object, relative(ROOT, file)));

/** The gateway Deployment of a rendered overlay, to mutate. */
function gatewayDeployment(objects: K8sObject[]): { deployment: K8sObject; container: Record<string, unknown> } {
  const deployment = objects.find((o) => o.kind === 'Deployment' && podContainers(o).some((c) => c.name === 'gateway'))!;
  return { deployment, container: podContainers(deployment).find((c) => c.name === 'gateway')! };
}

describe('k8s/ manifests', () => {
  it('has a production and a local overlay', () => {
    expect(OVERLAYS.map((dir) => relative(K8S, dir)).sort()).toEqual(['overlays/local', 'overlays/production']);
  });

  it('every YAML file parses, and every object in it is valid Kubernetes without unknown fields', () => {
    const files = yamlFiles(K8S);
    const objects = files.filter((f) => !f.endsWith('kustomization.yaml')).flatMap((file) => readYamlObjects(file).map((object) => ({ object, file })));
    // A patch is a partial object: only its fields are checked (no required fields).
    const [patches, whole] = [objects.filter(({ file }) => file.endsWith('-patch.yaml')), objects.filter(({ file }) => !file.endsWith('-patch.yaml'))];
    expect(whole.length).toBeGreaterThanOrEqual(10);
    expect(validateAll(whole)).toEqual([]);
    expect(patches.flatMap(({ object, file }) => validateObject(object, file).filter((p) => /unknown field|unsupported/.test(p)))).toEqual([]);
  });

  it.each(OVERLAYS.map((dir) => [relative(K8S, dir), dir]))('%s renders to valid objects and a correct gateway Deployment', (_name, dir) => {
    const loaded = kustomizeBuild(dir);
    expect(validateAll(loaded)).toEqual([]);
    expect(checkGatewayDeployment(loaded.map((l) => l.object), secretTemplates())).toEqual([]);
  });

  it('production: namespace, released image, managed Redis and the Ingress', () => {
    const objects = kustomizeBuild(join(K8S, 'overlays', 'production')).map((l) => l.object);
    const { container } = gatewayDeployment(objects);
    expect(container.image).toBe('registry.example.com/sse-gateway:0.1.0');
    expect(objects.filter((o) => o.kind !== 'Namespace').every((o) => (o.metadata as { namespace?: string }).namespace === 'sse-gateway')).toBe(true);
    const config = objects.find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>;
    expect(config.REDIS_URL).toMatch(/^rediss:\/\//);
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Ingress', 'Namespace', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']));
  });

  it('local: the example Redis StatefulSet, with persistence, reachable at the ConfigMap\'s REDIS_URL', () => {
    const objects = kustomizeBuild(join(K8S, 'overlays', 'local')).map((l) => l.object);
    const redis = objects.find((o) => o.kind === 'StatefulSet')!;
    const [container] = podContainers(redis);
    expect(container?.args).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect((redis.spec as { volumeClaimTemplates?: unknown[] }).volumeClaimTemplates).toHaveLength(1);
    const url = new URL((objects.find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>).REDIS_URL!);
    const service = objects.find((o) => o.kind === 'Service' && (o.metadata as { name: string }).name === url.hostname);
    expect((service?.spec as { ports: { port: number }[] }).ports[0]?.port).toBe(Number(url.port));
  });

  it('the Secret template holds only key variables, and its placeholder is refused by the gateway', () => {
    const [secret] = secretTemplates();
    const keys = Object.keys({ ...(secret?.data as object), ...(secret?.stringData as object) });
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !CONFIG_VARIABLES.includes(key))).toEqual([]);
    const placeholder = (secret?.stringData as Record<string, string>).JWT_SECRET!;
    expect(() => readJwtKey({ JWT_SECRET: placeholder })).toThrow(ConfigError);
  });
});

describe('the k8s checks catch mistakes', () => {
  const production = (): K8sObject[] => kustomizeBuild(join(K8S, 'overlays', 'production')).map((l) => l.object);
  const problemsOf = (objects: K8sObject[]): string[] => [
    ...objects.flatMap((o) => validateObject(o, String(o.kind))),
    ...checkGatewayDeployment(objects, secretTemplates()),
  ];

  it('an invalid field value (schema)', () => {
    const objects = production();
    (gatewayDeployment(objects).deployment.spec as Record<string, unknown>).replicas = 'three';
    expect(problemsOf(objects)).toEqual(expect.arrayContaining([expect.stringMatching(/Deployment: .*replicas must be integer/)]));
  });

  it('a misspelled field (kubernetes-models alone accepts it)', () => {
    const objects = production();
    const { container } = gatewayDeployment(objects);
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    const ingress = objects.find((o) => o.kind === 'Ingress')!;
    (ingress.spec as Record<string, unknown>).ingressClass = 'nginx';
    expect(problemsOf(objects)).toEqual(expect.arrayContaining([
      expect.stringContaining('/spec/template/spec/containers/0/readinesProbe: unknown field'),
      expect.stringContaining('/spec/ingressClass: unknown field'),
      'readinessProbe is missing',
    ]));
  });

  it('a probe on a path the gateway does not serve, or on another port', () => {
    const objects = production();
    const { container } = gatewayDeployment(objects);
    (container.livenessProbe as { httpGet: { path: string } }).httpGet.path = '/health';
    (container.readinessProbe as { httpGet: { port: number } }).httpGet.port = 9090;
    expect(problemsOf(objects)).toEqual(expect.arrayContaining([
      'livenessProbe path /health is not /healthz',
      'readinessProbe port 9090 is not the gateway\'s port 8080',
    ]));
  });

  it('an env variable the gateway does not read, and a value it refuses', () => {
    const objects = production();
    const data = objects.find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>;
    data.REDIS_URI = data.REDIS_URL!;
    data.HEARTBEAT_MS = 'fifteen seconds';
    const problems = problemsOf(objects);
    expect(problems).toContain('env REDIS_URI is not a variable the gateway reads (CONFIG_VARIABLES)');
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^the gateway refuses this configuration: .*HEARTBEAT_MS/)]));
  });

  it('a grace period shorter than the drain, and a container that may escalate', () => {
    const objects = production();
    const { deployment, container } = gatewayDeployment(objects);
    (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec.terminationGracePeriodSeconds = 10;
    (container.securityContext as Record<string, unknown>).allowPrivilegeEscalation = true;
    expect(problemsOf(objects)).toEqual(expect.arrayContaining([
      'terminationGracePeriodSeconds 10 must exceed preStop 5 s + SHUTDOWN_GRACE_MS 10 s',
      'securityContext.allowPrivilegeEscalation must be false',
    ]));
  });

  it('an Ingress that buffers, and a Service pointing at a missing port', () => {
    const objects = production();
    const ingress = objects.find((o) => o.kind === 'Ingress')!;
    delete (ingress.metadata as { annotations: Record<string, string> }).annotations['nginx.ingress.kubernetes.io/proxy-buffering'];
    const service = objects.find((o) => o.kind === 'Service')!;
    (service.spec as { ports: { targetPort: string }[] }).ports[0]!.targetPort = 'web';
    expect(problemsOf(objects)).toEqual(expect.arrayContaining([
      'Ingress needs nginx.ingress.kubernetes.io/proxy-buffering: "off"',
      'Service sse-gateway targetPort web is not a port of the gateway container',
    ]));
  });

  it('a kustomization field the renderer does not understand, or a missing resource', () => {
    expect(() => kustomizeBuild(join(__dirname, 'fixtures', 'bad-kustomization'))).toThrow(KustomizeError);
  });
});
