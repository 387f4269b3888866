// docker-compose.yml checked without Docker: parsed with `yaml`, services and healthchecks
// checked, every environment variable cross-checked with what its reader knows. The second half
// mutates copies to prove the checks catch each mistake.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { checkCompose, gatewayServices, readCompose, type ComposeFile } from './support/compose-checks';

const ROOT = resolve(__dirname, '..', '..');
const TEXT = readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8');

describe('docker-compose.yml', () => {
  it('passes every check', () => {
    expect(checkCompose(TEXT, ROOT)).toEqual([]);
  });

  it('runs Redis, three gateways, the load balancer and the demo', () => {
    const compose = readCompose(TEXT);
    expect(Object.keys(compose.services).sort()).toEqual(['demo', 'gateway-1', 'gateway-2', 'gateway-3', 'lb', 'redis']);
    expect(gatewayServices(compose).map(([name]) => name)).toEqual(['gateway-1', 'gateway-2', 'gateway-3']);
    expect(compose.services.lb?.ports).toEqual(['8080:8080']);
  });
});

describe('the compose checks catch mistakes', () => {
  const mutated = (change: (compose: ComposeFile) => void): string[] => {
    const compose = readCompose(TEXT);
    change(compose);
    return checkCompose(stringify(compose), ROOT);
  };
  const gateway = (compose: ComposeFile, name = 'gateway-2'): Record<string, unknown> =>
    // The three gateways share one YAML anchor: give the mutated one its own copy.
    (compose.services[name] = structuredClone(compose.services[name]!)) as Record<string, unknown>;

  it('a misspelled key or a wrong type (the Compose Specification schema)', () => {
    const problems = mutated((c) => {
      const service = gateway(c);
      service.healthchek = service.healthcheck;
      c.services.redis!.ports = 6379 as never;
    });
    expect(problems).toEqual(expect.arrayContaining([
      'compose schema: /services/gateway-2 must NOT have additional properties (healthchek)',
      'compose schema: /services/redis/ports must be array',
    ]));
  });

  it('an env variable the gateway does not read', () => {
    expect(mutated((c) => {
      (gateway(c).environment as Record<string, string>).REDIS_URI = 'redis://redis:6379';
    })).toContain('gateway-2: env REDIS_URI is not a variable the gateway reads (CONFIG_VARIABLES)');
  });

  it('a value the gateway refuses, and a literal secret', () => {
    const problems = mutated((c) => {
      const env = gateway(c).environment as Record<string, string>;
      env.SHUTDOWN_GRACE_MS = '10 s';
      env.JWT_SECRET = 'a-literal-secret-committed-to-the-repository';
    });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^gateway-2: the gateway refuses this configuration: .*SHUTDOWN_GRACE_MS/),
      'gateway-2: JWT_SECRET must come from ${JWT_SECRET:?…}, never a literal',
    ]));
  });

  it('a healthcheck on a path the gateway does not serve', () => {
    expect(mutated((c) => {
      gateway(c).healthcheck = { test: ['CMD', 'node', 'deploy/docker/healthcheck.js', '/health'] };
    })).toContain('gateway-2: healthcheck path /health is not one of /healthz, /readyz');
  });

  it('a gateway that does not wait for a healthy Redis, and a stop grace shorter than the drain', () => {
    const problems = mutated((c) => {
      const service = gateway(c);
      service.depends_on = ['redis'];
      service.stop_grace_period = '5s';
    });
    expect(problems).toEqual(expect.arrayContaining([
      'gateway-2: must depend on redis with condition service_healthy',
      'gateway-2: stop_grace_period 5 s must exceed SHUTDOWN_GRACE_MS 10 s',
    ]));
  });

  it('a gateway the load balancer does not know', () => {
    expect(mutated((c) => {
      c.services['gateway-4'] = c.services['gateway-3']!;
    })).toContain('lb: upstream servers gateway-1:8080, gateway-2:8080, gateway-3:8080 are not the gateway services gateway-1:8080, gateway-2:8080, gateway-3:8080, gateway-4:8080');
  });

  it('a Redis without persistence or healthcheck, and an undocumented variable', () => {
    const problems = mutated((c) => {
      c.services.redis!.command = ['redis-server'];
      delete c.services.redis!.healthcheck;
      (c.services.demo!.environment as Record<string, string>).DEMO_MODE = '${DEMO_MODE:-fast}';
    });
    expect(problems).toEqual(expect.arrayContaining([
      'redis healthcheck must run redis-cli ping',
      'redis must run with --appendonly yes (history survives restarts)',
      '${DEMO_MODE} is not a documented compose variable',
      'demo: env DEMO_MODE is not a variable the gateway reads (CONFIG_VARIABLES)',
    ]));
  });

  it('a demo the load balancer does not route to', () => {
    const problems = mutated((c) => {
      c.services.showcase = c.services.demo!;
      delete c.services.demo;
    });
    expect(problems).toEqual(expect.arrayContaining([
      'service demo is missing',
      'lb: upstream demo server demo:8080 is not a service of this file on its port',
    ]));
  });
});
