/**
 * Collecting from a device whose end of output cannot be asked for: what it
 * emits is read until `quietMs` pass with nothing new, or `maxMs` in all.
 * Readiness callbacks wake the collector as packets arrive; a timer reads
 * once more before deciding, since a packet may be queued whose callback
 * has not run yet.
 */
import type { Captured } from './target';

export interface QuietSource {
  /** Everything queued now (possibly nothing); may throw, which ends the collection with that error. */
  read(): Captured[];
  /** Calls `cb` whenever something may be readable; returns the unsubscribe function. */
  onReadable(cb: () => void): () => void;
}

export function collectUntilQuiet(source: QuietSource, quietMs: number, maxMs: number): Promise<Captured[]> {
  const got: Captured[] = [];
  const start = Date.now();
  let last = start;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let unsubscribe = () => {};
    const finish = (err?: unknown) => {
      if (timer) clearTimeout(timer);
      unsubscribe();
      if (err) reject(err);
      // Stable: packets read in one pass keep their queue order.
      else resolve(got.sort((a, b) => a.timeUs - b.timeUs));
    };
    const take = (): boolean => {
      const more = source.read();
      if (!more.length) return false;
      got.push(...more);
      last = Date.now();
      return true;
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      const wait = Math.min(last + quietMs, start + maxMs) - Date.now();
      if (wait <= 0) return finish();
      timer = setTimeout(onTimer, wait);
    };
    const onTimer = () => {
      try {
        take();
      } catch (e) {
        return finish(e);
      }
      arm();
    };
    try {
      take();
      unsubscribe = source.onReadable(() => {
        try {
          if (take()) arm();
        } catch (e) {
          finish(e);
        }
      });
    } catch (e) {
      return finish(e);
    }
    arm();
  });
}
