// The load balancer config, read: what SSE needs from it (test/deploy/nginx-lb.test.ts runs it).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkSseLoadBalancer, nginxSeconds, parseNginx, NginxSyntaxError } from './support/nginx-checks';
import { renderNginxConfig, NginxConfigError } from '../../deploy/local/nginx';

const CONF = readFileSync(resolve(__dirname, '..', '..', 'deploy', 'nginx', 'nginx.conf'), 'utf8');

describe('deploy/nginx/nginx.conf', () => {
  it('meets every SSE requirement', () => {
    expect(checkSseLoadBalancer(CONF)).toEqual([]);
  });

  it('still meets them once rendered for local processes', () => {
    const rendered = renderNginxConfig(CONF, {
      listenPort: 18080,
      upstreams: { sse_gateways: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 }], demo: [{ host: '127.0.0.1', port: 3 }] },
      workDir: '/tmp/x',
    });
    expect(checkSseLoadBalancer(rendered)).toEqual([]);
    expect(rendered).toContain('server 127.0.0.1:2 max_fails=2 fail_timeout=5s;');
    expect(rendered).toMatch(/upstream demo \{\s*server 127\.0\.0\.1:3 max_fails=2 fail_timeout=5s;\s*\}/);
    expect(rendered).not.toMatch(/gateway-1|demo:8080/);
  });

  it.each([
    ['proxy_buffering off;', 'proxy_buffering on;', 'proxy_buffering must be off (events must leave at once)'],
    ['proxy_cache off;', '', 'proxy_cache must be off'],
    ['proxy_http_version 1.1;', '', 'proxy_http_version must be 1.1'],
    ['proxy_set_header Connection "";', 'proxy_set_header Connection "close";', 'proxy_set_header Connection "" is required (keepalive to the upstream)'],
    ['proxy_read_timeout 3600s;', 'proxy_read_timeout 60s;', 'proxy_read_timeout must be at least 1h (is 60s): a quiet stream is one long response'],
    ['proxy_next_upstream error timeout http_502 http_503;', 'proxy_next_upstream error timeout;', 'proxy_next_upstream must include http_503 (a draining gateway answers 503)'],
    ['zone sse_gateways 64k;', 'zone sse_gateways 64k; ip_hash;', 'upstream must be plain round robin, not ip_hash'],
    ['server gateway-1:8080 max_fails=2 fail_timeout=5s;', 'server gateway-1:8080;', 'server gateway-1:8080: max_fails=N (N ≥ 1) enables passive health checks'],
    ['"$request_method $uri"', '"$request"', 'log_format sse would log a token'],
  ])('catches `%s` changed to `%s`', (from, to, problem) => {
    expect(CONF).toContain(from);
    expect(checkSseLoadBalancer(CONF.replace(from, to))).toContain(problem);
  });

  it('reads nginx syntax and times', () => {
    expect(parseNginx('a "x y" \'z\'; b { c; } # d')).toEqual([
      { name: 'a', args: ['x y', 'z'] },
      { name: 'b', args: [], block: [{ name: 'c', args: [] }] },
    ]);
    expect(() => parseNginx('a { b;')).toThrow(NginxSyntaxError);
    expect(nginxSeconds('1h 30m')).toBe(5400);
    expect(nginxSeconds('3600')).toBe(3600);
    expect(() => nginxSeconds('1 hour')).toThrow(NginxSyntaxError);
  });

  it('the local rendering refuses a config it no longer understands', () => {
    const upstreams = { sse_gateways: [{ host: '127.0.0.1', port: 2 }], demo: [{ host: '127.0.0.1', port: 3 }] };
    const options = { listenPort: 1, upstreams, workDir: '/tmp/x' };
    expect(() => renderNginxConfig(CONF.replace('listen 8080;', ''), options)).toThrow(NginxConfigError);
    expect(() => renderNginxConfig(CONF.replace(/server gateway-\d:8080[^;]*;/g, ''), options)).toThrow(NginxConfigError);
    expect(() => renderNginxConfig(CONF, { ...options, upstreams: { sse_gateways: upstreams.sse_gateways } })).toThrow('no local servers given for upstream demo');
    expect(() => renderNginxConfig(CONF, { ...options, upstreams: { ...upstreams, other: [] } })).toThrow('the config has no upstream other');
  });
});
