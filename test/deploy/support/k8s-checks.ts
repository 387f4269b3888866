// The gateway-specific rules for the Kubernetes manifests of one rendered overlay: probes on the
// gateway's real routes and port, env the gateway reads with values it accepts, a grace period
// longer than the drain, the security context, and names that refer to each other.
import type { K8sObject } from './k8s-models';
import { podContainers, type Container } from './kustomize';
import { CONFIG_VARIABLES, LIVENESS_PATH, READINESS_PATH, PROBE_PATHS, gatewayConfig, unknownVariables } from './gateway-facts';

interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
interface GatewayContainer extends Container {
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds?: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown> & { seccompProfile?: { type?: string } };
  volumes?: { name: string; emptyDir?: unknown }[];
}

// The key comes from the Secret, whose template holds a placeholder: the value check uses a test key.
const JWT_KEY_VARIABLES = ['JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_JWKS_URL'];

const byKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
const nameOf = (object: K8sObject): string => String((object.metadata as { name?: string } | undefined)?.name);
const isGatewayContainer = (container: Container): boolean => /(^|\/)sse-gateway(:|@|$)/.test(container.image ?? '');

/** The env a gateway container gets: its ConfigMaps and Secrets (envFrom, in order), then `env`. */
function containerEnv(container: GatewayContainer, objects: K8sObject[], secrets: K8sObject[], problems: string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef !== undefined ? 'ConfigMap' : 'Secret';
    const found = [...objects, ...secrets].find((o) => o.kind === kind && nameOf(o) === ref?.name);
    if (found === undefined) {
      problems.push(`envFrom ${kind} ${ref?.name} is not defined`);
      continue;
    }
    const data = { ...(found.data as Record<string, string> | undefined), ...(found.stringData as Record<string, string> | undefined) };
    Object.entries(data).forEach(([key, value]) => env.set(key, String(value)));
  }
  (container.env ?? []).forEach(({ name, value }) => env.set(name, value ?? ''));
  return env;
}

function probePort(probe: Probe | undefined, container: GatewayContainer): number | undefined {
  const port = probe?.httpGet?.port;
  return typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * Problems of the gateway Deployment in `objects` (one rendered overlay). `secrets` are the Secret
 * templates the Deployment may refer to without them being part of the overlay.
 */
export function checkGatewayDeployment(objects: K8sObject[], secrets: K8sObject[]): string[] {
  const problems: string[] = [];
  const deployments = byKind(objects, 'Deployment').filter((d) => podContainers(d).some(isGatewayContainer));
  if (deployments.length !== 1) return [`expected one gateway Deployment, found ${deployments.length}`];
  const deployment = deployments[0]!;
  const spec = deployment.spec as { replicas?: number; template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } };
  const pod = spec.template.spec;
  const container = podContainers(deployment).find(isGatewayContainer) as GatewayContainer;
  if ((spec.replicas ?? 1) < 3) problems.push(`replicas is ${spec.replicas ?? 1}, at least 3 expected`);

  // Environment: only variables the gateway reads, with values it accepts.
  const env = containerEnv(container, objects, secrets, problems);
  for (const name of unknownVariables(env.keys())) problems.push(`env ${name} is not a variable the gateway reads (CONFIG_VARIABLES)`);
  const withTestKey = Object.fromEntries([...env].filter(([name]) => CONFIG_VARIABLES.includes(name) && !JWT_KEY_VARIABLES.includes(name)));
  let config: ReturnType<typeof gatewayConfig> | undefined;
  try {
    config = gatewayConfig(withTestKey);
  } catch (error) {
    problems.push(`the gateway refuses this configuration: ${(error as Error).message}`);
  }
  const port = config?.port ?? 8080;

  // Probes: the real routes, on the port the gateway listens on.
  if (!container.ports?.some((p) => p.containerPort === port)) problems.push(`no containerPort ${port} (the gateway's PORT)`);
  const probes: [string, Probe | undefined, readonly string[]][] = [
    ['readinessProbe', container.readinessProbe, [READINESS_PATH]],
    ['livenessProbe', container.livenessProbe, [LIVENESS_PATH]],
    ['startupProbe', container.startupProbe, PROBE_PATHS],
  ];
  for (const [name, probe, paths] of probes) {
    if (probe === undefined) {
      if (name !== 'startupProbe') problems.push(`${name} is missing`);
      continue;
    }
    if (!paths.includes(probe.httpGet?.path ?? '')) problems.push(`${name} path ${probe.httpGet?.path} is not ${paths.join(' or ')}`);
    if (probePort(probe, container) !== port) problems.push(`${name} port ${probe.httpGet?.port} is not the gateway's port ${port}`);
  }

  // Shutdown: preStop pause, then SIGTERM and the drain, all inside the grace period.
  const preStop = container.lifecycle?.preStop;
  const sleepCommand = preStop?.exec?.command;
  const pause = preStop?.sleep?.seconds ?? (sleepCommand?.[0] === 'sleep' ? Number(sleepCommand[1]) : NaN);
  if (!(pause > 0)) problems.push('preStop must pause (exec sleep N) so endpoints update before the drain');
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  const drainS = (config?.shutdownGraceMs ?? 10000) / 1000;
  if (!(grace > (pause || 0) + drainS)) problems.push(`terminationGracePeriodSeconds ${grace} must exceed preStop ${pause || 0} s + SHUTDOWN_GRACE_MS ${drainS} s`);

  problems.push(...checkSecurity(pod, container), ...checkResources(container));
  problems.push(...checkReferences(objects, deployment, spec.template.metadata?.labels ?? {}, container));
  return problems;
}

function checkSecurity(pod: PodSpec, container: GatewayContainer): string[] {
  const problems: string[] = [];
  const both = (key: string): unknown => container.securityContext?.[key] ?? pod.securityContext?.[key];
  if (both('runAsNonRoot') !== true) problems.push('securityContext.runAsNonRoot must be true');
  if (container.securityContext?.readOnlyRootFilesystem !== true) problems.push('securityContext.readOnlyRootFilesystem must be true');
  if (container.securityContext?.allowPrivilegeEscalation !== false) problems.push('securityContext.allowPrivilegeEscalation must be false');
  if (!container.securityContext?.capabilities?.drop?.includes('ALL')) problems.push('securityContext.capabilities.drop must include ALL');
  const seccomp = (container.securityContext?.seccompProfile as { type?: string } | undefined)?.type ?? pod.securityContext?.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault') problems.push('seccompProfile must be RuntimeDefault');
  const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
  if (tmp === undefined || pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir === undefined) {
    problems.push('/tmp must be an emptyDir (the root filesystem is read-only)');
  }
  return problems;
}

function checkResources(container: GatewayContainer): string[] {
  const problems: string[] = [];
  for (const key of ['cpu', 'memory']) {
    if (container.resources?.requests?.[key] === undefined) problems.push(`resources.requests.${key} is missing`);
  }
  if (container.resources?.limits?.memory === undefined) problems.push('resources.limits.memory is missing');
  return problems;
}

/** Service, HPA, PDB and Ingress must point at this Deployment, its pods and its port. */
function checkReferences(objects: K8sObject[], deployment: K8sObject, podLabels: Record<string, string>, container: GatewayContainer): string[] {
  const problems: string[] = [];
  const selects = (selector: Record<string, string> | undefined): boolean =>
    selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);
  const services = byKind(objects, 'Service').filter((s) => selects((s.spec as { selector?: Record<string, string> }).selector));
  if (services.length === 0) problems.push('no Service selects the gateway pods');
  for (const service of services) {
    for (const p of (service.spec as { ports: { name?: string; targetPort?: number | string }[] }).ports) {
      const target = p.targetPort;
      const ok = typeof target === 'number' ? container.ports?.some((c) => c.containerPort === target) : container.ports?.some((c) => c.name === target);
      if (!ok) problems.push(`Service ${nameOf(service)} targetPort ${target} is not a port of the gateway container`);
    }
  }
  for (const hpa of byKind(objects, 'HorizontalPodAutoscaler')) {
    const spec = hpa.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas?: number; metrics?: { type: string; resource?: { name: string } }[] };
    if (spec.scaleTargetRef.kind !== 'Deployment' || spec.scaleTargetRef.name !== nameOf(deployment)) problems.push(`HPA ${nameOf(hpa)} does not target the gateway Deployment`);
    if ((spec.minReplicas ?? 1) < 2) problems.push('HPA minReplicas must be at least 2');
    if (!spec.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')) problems.push('HPA must scale on CPU');
  }
  if (byKind(objects, 'HorizontalPodAutoscaler').length === 0) problems.push('no HorizontalPodAutoscaler');
  const pdbs = byKind(objects, 'PodDisruptionBudget').filter((p) => selects((p.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels));
  if (pdbs.length === 0) problems.push('no PodDisruptionBudget selects the gateway pods');
  for (const ingress of byKind(objects, 'Ingress')) problems.push(...checkIngress(ingress, services));
  return problems;
}

function checkIngress(ingress: K8sObject, services: K8sObject[]): string[] {
  const problems: string[] = [];
  const annotations = ((ingress.metadata as { annotations?: Record<string, string> }).annotations) ?? {};
  const annotation = (key: string): string | undefined => annotations[`nginx.ingress.kubernetes.io/${key}`];
  if (annotation('proxy-buffering') !== 'off') problems.push('Ingress needs nginx.ingress.kubernetes.io/proxy-buffering: "off"');
  for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
    if (!(Number(annotation(key)) >= 3600)) problems.push(`Ingress needs nginx.ingress.kubernetes.io/${key} of at least 3600`);
  }
  if (annotation('affinity') !== undefined) problems.push('Ingress must not use sticky sessions (affinity)');
  const rules = (ingress.spec as { rules?: { http?: { paths: { backend: { service?: { name: string; port: { name?: string; number?: number } } } }[] } }[] }).rules ?? [];
  for (const path of rules.flatMap((rule) => rule.http?.paths ?? [])) {
    const backend = path.backend.service;
    const service = services.find((s) => nameOf(s) === backend?.name);
    const ports = (service?.spec as { ports?: { name?: string; port: number }[] } | undefined)?.ports ?? [];
    if (service === undefined || !ports.some((p) => p.name === backend?.port.name || p.port === backend?.port.number)) {
      problems.push(`Ingress backend ${backend?.name}:${backend?.port.name ?? backend?.port.number} is not a port of the gateway Service`);
    }
  }
  return problems;
}
