/**
 * The daemon's clock: real time, plus an offset that only the lab moves
 * (`--lab-clock`). Moving the offset forward makes due timers fire at the
 * next expiry pass, exactly as if that much time had passed.
 */
import type { Clock } from '../api';

export interface OffsetClock extends Clock {
  readonly offsetMs: number;
  advance(ms: number): void;
}

export function offsetClock(realNow: () => number = Date.now): OffsetClock {
  let offset = 0;
  return {
    now: () => realNow() + offset,
    get offsetMs() {
      return offset;
    },
    advance(ms: number) {
      if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance: ${ms} is not a number of milliseconds >= 0`);
      offset += ms;
    },
  };
}

/**
 * The offset clock read once per batch: `latch()` takes the real time and
 * `now()` returns it until the next latch. A batch lasts well under a
 * millisecond under load, and a clock read per packet costs about as much
 * as translating a UDP header.
 */
export function latchedClock(realNow: () => number = Date.now): OffsetClock & { latch(): void } {
  let real = realNow();
  const clock = offsetClock(() => real);
  return Object.assign(clock, {
    latch() {
      real = realNow();
    },
  });
}
