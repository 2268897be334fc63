/**
 * Session expiry without scanning: a binary min-heap of (deadline, item)
 * with lazy updates. Refreshing a session only moves its `expires` later and
 * costs nothing here; when its old deadline comes up it is re-queued at the
 * new one. A deadline moved earlier (e.g. a TCP RST cutting the lifetime to
 * TCP_TRANS) pushes a second, earlier entry; the later one is then stale and
 * skipped.
 */
export interface Timed {
  /** Deadline on the engine clock (ms). The session expires when now >= expires. */
  expires: number;
  /** Deadline of the live heap entry for this item (bookkeeping of this module). */
  scheduled: number;
  /** Set once the item is gone; its heap entries are then skipped. */
  dead: boolean;
}

export class TimerHeap<T extends Timed> {
  private times: number[] = [];
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Call after setting or changing `item.expires`. */
  schedule(item: T): void {
    if (item.scheduled !== 0 && item.scheduled <= item.expires) return; // the live entry fires first and re-queues
    item.scheduled = item.expires;
    this.push(item.expires, item);
  }

  /** Earliest deadline in the heap (possibly stale), or Infinity. */
  peek(): number {
    return this.items.length ? this.times[0] : Infinity;
  }

  /**
   * Items whose deadline has passed at `now`, each once; items refreshed in
   * the meantime are re-queued instead.
   */
  due(now: number, out: T[]): void {
    while (this.items.length && this.times[0] <= now) {
      const t = this.times[0];
      const item = this.pop();
      if (item.dead || item.scheduled !== t) continue; // stale entry
      if (item.expires > now) {
        item.scheduled = item.expires;
        this.push(item.expires, item);
        continue;
      }
      item.scheduled = 0;
      out.push(item);
    }
  }

  private push(t: number, item: T): void {
    const times = this.times;
    const items = this.items;
    let i = items.length;
    times.push(t);
    items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (times[p] <= t) break;
      times[i] = times[p];
      items[i] = items[p];
      i = p;
    }
    times[i] = t;
    items[i] = item;
  }

  private pop(): T {
    const times = this.times;
    const items = this.items;
    const top = items[0];
    const lastT = times.pop()!;
    const lastI = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && times[r] < times[l] ? r : l;
        if (times[c] >= lastT) break;
        times[i] = times[c];
        items[i] = items[c];
        i = c;
      }
      times[i] = lastT;
      items[i] = lastI;
    }
    return top;
  }
}
