/**
 * Virtual time for in-process servers: timers on a clock that only moves
 * when the harness moves it. Between timer firings every pending promise
 * reaction runs first, so concurrent upstream queries, delayed answers and
 * timeouts interleave exactly as they would in real time, but the order is
 * fixed by (time, creation) and a 1.5 s delay costs nothing.
 *
 * This works because the code driven by it does no real I/O: everything it
 * awaits is a promise settled by one of these timers or by synchronous work.
 */
import type { Clock } from '../../engine/api';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets every queued promise reaction run (they all run before the next macrotask). */
function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export class VirtualTime {
  private nowMs: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  readonly clock: Clock = { now: () => this.nowMs };

  now(): number {
    return this.nowMs;
  }

  /** Runs `fn` once `ms` have passed on this clock; returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    const t: Timer = { at: this.nowMs + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  private next(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }

  /**
   * Moves time forward timer by timer until `done()` holds or `limitMs` have
   * passed; returns whether `done()` held. Time stops where `done()` first
   * held, or at the limit.
   */
  async runUntil(done: () => boolean, limitMs: number): Promise<boolean> {
    const end = this.nowMs + limitMs;
    await settle();
    while (!done()) {
      const t = this.next();
      if (!t || t.at > end) {
        this.nowMs = end;
        return false;
      }
      this.timers = this.timers.filter((x) => x !== t);
      this.nowMs = Math.max(this.nowMs, t.at);
      t.fn();
      await settle();
    }
    return true;
  }

  /** Lets `ms` pass, firing every timer due meanwhile in order. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`virtual time: cannot advance by ${ms} ms`);
    await this.runUntil(() => false, ms);
  }
}
