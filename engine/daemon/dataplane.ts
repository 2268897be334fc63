/**
 * The data path between one TUN and one translator: read a packet into a
 * preallocated buffer, translate it, write what comes out. Synchronous and
 * free of I/O of its own (the port is injected), so tests run it on a fake
 * device and the worker runs it on a real one.
 */
import type { Emitted, Translator } from '../api';
import type { Nat64Translator } from '../index';
import type { DaemonStats } from './protocol';

/** What the data path needs of a device: non-blocking read (-1 when empty) and write of one packet. */
export interface PacketPort {
  read(buf: Buffer): number;
  write(bytes: Buffer): void;
}

/** Largest packet a TUN hands over (IPv6 jumbograms aside). */
export const MAX_PACKET = 65535;

export type Counters = Omit<DaemonStats, 'loop' | 'now' | 'offsetMs' | 'internalErrors'>;

export function zeroCounters(): Counters {
  return { in: { 6: 0, 4: 0 }, out: { 6: 0, 4: 0 }, dropped: { 6: 0, 4: 0 }, notIp: 0, writeErrors: 0 };
}

export class Dataplane {
  readonly counters: Counters = zeroCounters();
  private readonly buf = Buffer.allocUnsafeSlow(MAX_PACKET);

  constructor(
    private readonly port: PacketPort,
    private xlat: Translator,
  ) {}

  get translator(): Translator {
    return this.xlat;
  }

  /** Swaps in a fresh translator (a reconfiguration); counters go on. */
  replace(xlat: Translator): void {
    this.xlat = xlat;
  }

  get internalErrors(): number {
    return (this.xlat as Partial<Nat64Translator>).internalErrors ?? 0;
  }

  /** Reads and translates up to `max` packets; returns how many were read (fewer: the device is empty). */
  pump(max: number): number {
    const buf = this.buf;
    let n = 0;
    while (n < max) {
      const len = this.port.read(buf);
      if (len < 0) break;
      n++;
      if (len === 0) continue;
      const version = buf[0] >> 4;
      if (version !== 6 && version !== 4) {
        this.counters.notIp++;
        continue;
      }
      const side = version;
      this.counters.in[side]++;
      // The translator copies what it keeps (held fragments and SYNs), so a view of the shared buffer is enough.
      const out = this.translate(side, buf.subarray(0, len));
      if (out.length === 0) this.counters.dropped[side]++;
      else this.emit(out);
    }
    return n;
  }

  /** Runs the timers that are due and writes what they emit; returns the number of packets written. */
  expire(): number {
    const out = this.xlat.expire();
    this.emit(out);
    return out.length;
  }

  /** The one place a packet is translated: a byte-level fast path for established flows slots in here. */
  private translate(side: 6 | 4, bytes: Buffer): Emitted[] {
    return this.xlat.push(side, bytes);
  }

  private emit(out: Emitted[]): void {
    for (let i = 0; i < out.length; i++) {
      const e = out[i];
      try {
        this.port.write(e.bytes);
        this.counters.out[e.side]++;
      } catch {
        // A refused write (device down, queue gone) loses that packet only; the counter is the evidence.
        this.counters.writeErrors++;
      }
    }
  }
}
