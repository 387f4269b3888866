// A simulated crew execution for the demo: a few agents work through their tasks side by side,
// publishing execution.status / progress / log / output / error events at a human pace. A task
// fails now and then and is retried; every third execution fails for good and is retried as a
// new execution. Then a pause, and the next execution. It only needs a Publisher: the events go
// into Redis or through a gateway's HTTP publish, whichever the caller chose. Status, progress and
// output events are retained: a page opened in the middle of a long execution (with `state=1`)
// shows where it is at once, whatever the history still holds.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { AnyPublishEvent, Publisher } from '@sse-gateway/publisher';

export const DEFAULT_DEMO_CHANNEL = 'execution:demo';

interface CrewOptions {
  /** The channel every execution is published on (the page follows this one channel). */
  channel: string;
  /**
   * The publisher: one for every execution (the caller closes it), or a function making a new one
   * per execution (closed after it: a fresh HTTP publisher may carry a fresh token).
   */
  publisher: Publisher | (() => Promise<Publisher>);
  /** Pause between two events. @default 600 */
  paceMs?: number;
  /** Pause between two executions. @default 6000 */
  restMs?: number;
  /** Stops the loop (between two events). */
  signal: AbortSignal;
  /** Human-readable progress lines (stderr by default). */
  say?: (line: string) => void;
}

interface AgentPlan {
  agent: string;
  task: string;
  steps: string[];
}

const PLAN: readonly AgentPlan[] = [
  { agent: 'researcher', task: 'Gather sources', steps: ['search the web', 'read 12 articles', 'skim two papers', 'collect quotes', 'rank the sources'] },
  { agent: 'analyst', task: 'Compare findings', steps: ['extract claims', 'cross-check numbers', 'find contradictions', 'score confidence'] },
  { agent: 'writer', task: 'Draft the report', steps: ['outline', 'write the introduction', 'write the findings', 'write the conclusion', 'proofread'] },
];

/** Runs executions one after another until `signal` aborts. Never throws: a failed publish is reported and the loop goes on. */
export async function runCrew(options: CrewOptions): Promise<void> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  let run = 0;
  let retryOf: string | undefined;
  while (!options.signal.aborted) {
    run += 1;
    const executionId = `run-${run}-${randomBytes(2).toString('hex')}`;
    const failing = run % 3 === 0;
    try {
      const fresh = typeof options.publisher === 'function';
      const publisher = typeof options.publisher === 'function' ? await options.publisher() : options.publisher;
      try {
        const execution = new Execution(publisher, options, executionId);
        say(`crew: execution ${executionId} started${retryOf ? ` (retry of ${retryOf})` : ''}`);
        const ok = await execution.run(failing, retryOf);
        say(`crew: execution ${executionId} ${ok ? 'succeeded' : 'failed'}`);
        retryOf = ok ? undefined : executionId;
      } finally {
        if (fresh) await publisher.close();
      }
    } catch (error) {
      if (options.signal.aborted) break;
      say(`crew: execution ${executionId} stopped: ${(error as Error).message} (starting over shortly)`);
    }
    await pause(retryOf ? 2000 : (options.restMs ?? 6000), options.signal);
  }
}

class Execution {
  private readonly pace: number;
  /** Steps done per agent. */
  private readonly done = new Map<string, number>();
  /** Whether the one transient failure of this execution happened already. */
  private retried = false;

  constructor(
    private readonly publisher: Publisher,
    private readonly options: CrewOptions,
    private readonly executionId: string,
  ) {
    this.pace = options.paceMs ?? 600;
  }

  /** Resolves true when it succeeded, false when it failed (as planned). */
  async run(failing: boolean, retryOf: string | undefined): Promise<boolean> {
    await this.send(
      this.status('queued', retryOf ? `retry of ${retryOf}` : 'waiting for a worker'),
      this.log('info', retryOf ? `retrying ${retryOf} as ${this.executionId}` : `execution ${this.executionId} queued`),
    );
    await this.send(this.status('running', `${PLAN.length} agents`), this.log('info', `crew assembled: ${PLAN.map((p) => p.agent).join(', ')}`));
    const flaky = PLAN[randomInt(PLAN.length)]!;
    const flakyStep = 1 + randomInt(flaky.steps.length - 1);
    const doomedAt = failing ? Math.floor(totalSteps() * 0.6) : -1;
    let taken = 0;
    for (let plan = this.nextAgent(); plan !== undefined; plan = this.nextAgent()) {
      const step = this.done.get(plan.agent) ?? 0;
      if (taken === doomedAt) return this.fail(plan, step);
      if (plan === flaky && step === flakyStep && !this.retried) {
        await this.transientFailure(plan, step);
        continue;
      }
      await this.advance(plan, step);
      taken += 1;
    }
    await this.finish();
    return true;
  }

  /** The agent with the least progress (relative), ties broken at random: agents look busy side by side. */
  private nextAgent(): AgentPlan | undefined {
    const open = PLAN.filter((plan) => (this.done.get(plan.agent) ?? 0) < plan.steps.length);
    if (open.length === 0) return undefined;
    const share = (plan: AgentPlan): number => (this.done.get(plan.agent) ?? 0) / plan.steps.length + Math.random() * 0.35;
    return open.reduce((best, plan) => (share(plan) < share(best) ? plan : best));
  }

  private async advance(plan: AgentPlan, step: number): Promise<void> {
    const next = step + 1;
    this.done.set(plan.agent, next);
    const events: AnyPublishEvent[] = [this.progress(plan, next, plan.steps[step]!)];
    if (Math.random() < 0.45) events.push(this.log(Math.random() < 0.15 ? 'debug' : 'info', `${plan.agent}: ${plan.steps[step]} done`, plan));
    if (plan.agent === 'writer' && next < plan.steps.length && next > 1) {
      events.push({ channel: this.options.channel, type: 'execution.output', data: { executionId: this.executionId, output: `draft ${next}/${plan.steps.length}: ${plan.steps[step]}`, final: false }, retain: true });
    }
    await this.send(...events);
  }

  private async transientFailure(plan: AgentPlan, step: number): Promise<void> {
    this.retried = true;
    await this.send(this.log('error', `${plan.agent}: "${plan.steps[step]}" failed: upstream API timed out after 30 s`, plan));
    await this.send(this.log('warn', `${plan.agent}: retrying "${plan.steps[step]}" (attempt 2 of 3)`, plan));
  }

  private async fail(plan: AgentPlan, step: number): Promise<boolean> {
    const message = `${plan.agent} could not "${plan.steps[step] ?? plan.task}": the model refused the request (content too long)`;
    await this.send(this.log('error', message, plan));
    await this.send(
      { channel: this.options.channel, type: 'execution.error', data: { executionId: this.executionId, error: { code: 'agent_failed', message } } },
      this.status('failed', `${plan.agent} failed; the execution will be retried`),
    );
    return false;
  }

  private async finish(): Promise<void> {
    const report = [
      '# Findings',
      '- 9 of 12 sources agree on the main trend.',
      '- Two figures in the 2024 survey contradict each other; the later one is used.',
      '- Confidence: high for the trend, medium for the forecast.',
    ].join('\n');
    await this.send(
      { channel: this.options.channel, type: 'execution.output', data: { executionId: this.executionId, output: report, final: true }, retain: true },
      this.log('info', 'report delivered'),
    );
    await this.send(this.status('succeeded', 'report delivered'));
  }

  /** Publishes the events as one batch, then waits for the pace. */
  private async send(...events: AnyPublishEvent[]): Promise<void> {
    if (this.options.signal.aborted) throw new Error('stopped');
    await this.publisher.publishMany(events);
    await pause(this.pace * (0.6 + Math.random() * 0.8), this.options.signal);
  }

  private status(status: 'queued' | 'running' | 'succeeded' | 'failed', message: string): AnyPublishEvent {
    return { channel: this.options.channel, type: 'execution.status', data: { executionId: this.executionId, status, message }, retain: true };
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string, plan?: AgentPlan): AnyPublishEvent {
    return { channel: this.options.channel, type: 'execution.log', data: { executionId: this.executionId, level, message, ...(plan ? { agent: plan.agent, task: plan.task } : {}) } };
  }

  private progress(plan: AgentPlan, step: number, message: string): AnyPublishEvent {
    const totalSteps = plan.steps.length;
    return {
      channel: this.options.channel,
      type: 'execution.progress',
      data: { executionId: this.executionId, step, totalSteps, percent: Math.round((step / totalSteps) * 1000) / 10, agent: plan.agent, task: plan.task, message },
      retain: true,
    };
  }
}

function totalSteps(): number {
  return PLAN.reduce((sum, plan) => sum + plan.steps.length, 0);
}

function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
