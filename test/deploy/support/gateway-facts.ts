// What the deployment files must agree with, taken from the gateway itself where it exports it.
import { CONFIG_VARIABLES as VARIABLES, loadConfig, type Config } from '../../../gateway/src/config';

/** The variables the gateway reads, as plain strings for checking names found in files. */
export const CONFIG_VARIABLES: readonly string[] = VARIABLES;

/** The gateway's probe routes (docs/endpoints.md); test/deploy/gateway-routes.test.ts asks a real gateway. */
export const LIVENESS_PATH = '/healthz';
export const READINESS_PATH = '/readyz';
export const PROBE_PATHS: readonly string[] = [LIVENESS_PATH, READINESS_PATH];

/** A syntactically valid HS256 secret for configuration checks (never a deployed value). */
export const TEST_JWT_SECRET = 'test-only-secret-of-at-least-32-bytes!!';

/** The gateway's own parse of an environment (throws ConfigError naming the bad variable). */
export function gatewayConfig(env: Record<string, string>): Config {
  return loadConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, ...env });
}

/** Names in `names` that the gateway does not read. */
export function unknownVariables(names: Iterable<string>): string[] {
  return [...names].filter((name) => !CONFIG_VARIABLES.includes(name));
}
