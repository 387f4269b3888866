// The soak's whole machinery, briefly: the local cluster (Redis with AOF, three gateway processes
// from gateway/dist, nginx), a few hundred clients, publishers on both paths, a gateway killed,
// the subscribers' Redis connections killed and handshakes dropped — and every invariant checked
// with nothing found. (That each check can fail is shown in channel-check.test.ts and
// checks.test.ts.)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../deploy/local/cluster';
import { terminalReport } from '../../soak/lib/report';
import { runSoak } from '../../soak/lib/soak';
import type { Invariant } from '../../soak/lib/tally';

describe('npm run soak, briefly', () => {
  it('runs 25 s with three faults and a few hundred clients, and finds no violation', async () => {
    const main = join(REPO_ROOT, 'gateway', 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test builds it)`);
    const report = await runSoak({
      durationMs: 25_000, rawClients: 300, libraryClients: 30, channels: 12, rate: 12, seed: 7, processes: 1,
      faults: ['sigkill', 'pubsub-kill', 'hangups'],
    });
    const text = terminalReport(report);
    expect(report.tally.examples).toEqual([]);
    expect(text.split('\n').at(-1)).toBe(`soak: ${report.checks} checks, 0 violations`);
    // Every invariant was exercised, not just passed by default.
    const exercised: Invariant[] = ['order', 'gaps', 'delivered', 'status', 'publish', 'connections', 'subscriptions'];
    expect(exercised.filter((invariant) => (report.tally.checks[invariant] ?? 0) === 0)).toEqual([]);
    expect(report.faults.map((f) => f.kind)).toEqual(['sigkill', 'pubsub-kill', 'hangups']);
    expect(report.counters.delivered).toBeGreaterThan(1000);
    expect(report.counters.gaps).toBeGreaterThan(0);
    expect(report.quietChecks).toBe(5);
  }, 180_000);
});
