import { GatewayError } from '../errors';

/** Connection limits per gateway instance: in total (503) and per JWT subject (429). */
export class Admission {
  private total = 0;
  private readonly bySubject = new Map<string, number>();

  constructor(
    private readonly maxConnections: number,
    private readonly maxPerSubject: number,
  ) {}

  /** Counts a new connection of `subject`, or throws the limit it would break. */
  admit(subject: string): void {
    if (this.total >= this.maxConnections) {
      throw new GatewayError('too_many_connections', 'this gateway is at its connection limit; retry later or elsewhere');
    }
    const count = this.bySubject.get(subject) ?? 0;
    if (count >= this.maxPerSubject) {
      throw new GatewayError('too_many_connections_for_subject', `too many open streams for this subject (limit ${this.maxPerSubject} per gateway)`);
    }
    this.total++;
    this.bySubject.set(subject, count + 1);
  }

  release(subject: string): void {
    this.total--;
    const count = (this.bySubject.get(subject) ?? 1) - 1;
    if (count <= 0) this.bySubject.delete(subject);
    else this.bySubject.set(subject, count);
  }
}
