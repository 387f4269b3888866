// The replay and storm tables, the same in the terminal, Markdown and HTML reports.
import { markdownReport } from '../../bench/lib/markdown';
import { terminalReport } from '../../bench/lib/report';
import { replayTables, resumeTables, stormTables } from '../../bench/lib/resume-report';
import { benchResults, replayResult, stormResult } from './fixture';

describe('the storm table', () => {
  test('a row per fault: clients moved, time from the signal and of the storm, its ratio to the paced connect, loss, latency, memory', () => {
    const [table] = stormTables(benchResults(), stormResult());
    expect(table!.header).toHaveLength(table!.rows[0]!.length);
    expect(table!.rows.map((r) => r[0])).toEqual(['SIGKILL gateway 1', 'SIGTERM gateway 2', 'SIGTERM gateway 3', 'SIGTERM gateway 1']);
    expect(table!.rows[0]).toEqual([
      'SIGKILL gateway 1', '3334', '3334/3334', '3.40', '1.30 / 1.40', '1.11', '1.26×', '0 / 0', '30.0 / 120.0 / 180', '2500', '95→95, 95→134, 95→124', '0 / 5000 / 5000',
    ]);
    expect(table!.notes[0]).toBe('paced connect: 10000 clients in 3.33 s (3000/s; 3334 / 3333 / 3333 per gateway); listen-queue overflows: 0');
    expect(table!.notes.join('\n')).toMatch(/exactly the stream's retry: \(a browser's EventSource\)/);
    expect(table!.notes.at(-1)).toBe('Nchan, bare node:http: n/a (no resume from a cursor; the scenario runs on the gateway only)');
  });

  test('says which clients never came back, and what was refused', () => {
    const storm = stormResult();
    storm.steps[1]!.unsettled = 12;
    storm.steps[2]!.refused = 3;
    storm.steps[2]!.refusals = { timeout: 1, 'HTTP 503': 2 };
    storm.behindAtEnd = 4;
    storm.steps[0]!.listenOverflows = 812;
    const notes = stormTables(benchResults(), storm)[0]!.notes.join('\n');
    expect(notes).toContain('SIGTERM gateway 2: 12 clients had not resumed and caught up when the step gave up');
    expect(notes).toContain('SIGTERM gateway 3: 0 gateway.gap notices, 3 failed reconnects (2 HTTP 503, 1 timeout)');
    expect(notes).toContain('after the last fault every client had all of them except 4 events');
    storm.notBackAtEnd = 7;
    expect(stormTables(benchResults(), storm)[0]!.notes.join('\n')).toContain('after the last fault 7 clients were still not back, and the others had all of them except 4 events');
    expect(notes).toContain('(the kernel\'s TcpExt ListenOverflows, machine-wide): SIGKILL gateway 1 812, SIGTERM gateway 2 0,');
  });
});

describe('the replay tables', () => {
  test('the witness before and during, then the readers and the gateway', () => {
    const [witness, readers] = replayTables(benchResults(), replayResult());
    expect(witness!.rows).toEqual([
      ['alone (baseline)', '2.0 / 8.0 / 12', '50/50', '0'],
      ['during the replays', '15.0 / 60.0 / 90', '120/120', '0'],
    ]);
    expect(readers!.rows).toEqual([['100', '100/100', '12.50', '1431', '114', '90', '160', '0', '0.50 / 0.00']]);
  });

  test('a reader that fell short is named with the reason it gave', () => {
    const replay = replayResult();
    replay.readersComplete = 99;
    replay.readerProblems = { short: 1, duplicated: 0, disorder: 0, failedConnects: 0, errors: ['closed after 412 events'] };
    expect(replayTables(benchResults(), replay)[1]!.notes[0]).toBe('readers: 1 short (closed after 412 events)');
  });
});

describe('in the reports', () => {
  test('every table in the terminal and in Markdown, with the scenario\'s own notes', () => {
    const results = benchResults();
    results.scenarios.find((s) => s.storm)!.notes.push('3 of 10000 clients failed to connect: HTTP 503');
    const tables = resumeTables(results);
    expect(tables.map((t) => t.title.split(':')[0])).toEqual(['replay', 'replay', 'storm']);
    const terminal = terminalReport(results);
    const markdown = markdownReport(results);
    for (const t of tables) {
      expect(terminal).toContain(t.title);
      expect(markdown).toContain(`**${t.title}**`);
    }
    expect(markdown).toContain('| SIGKILL gateway 1 | 3334 | 3334/3334 | 3.40 | 1.30 / 1.40 | 1.11 | 1.26× |');
    expect(terminal).toContain('  3 of 10000 clients failed to connect: HTTP 503');
    expect(markdown).toContain('- 3 of 10000 clients failed to connect: HTTP 503');
  });
});
