/**
 * The data path between one TUN and one translator: take a batch of packets
 * from the device, translate each, hand what comes out back to it.
 * Synchronous and free of I/O of its own (the port is injected), so tests
 * run it on a fake device and the worker runs it on a real one.
 */
import type { Emitted, Translator } from '../api';
import type { Nat64Translator } from '../index';
import type { DaemonStats, SideCounters } from './protocol';

/** What the port itself counts: the outcome of every packet handed to it. */
export interface PortTally {
  /** Packets the device took, by the side they leave on. */
  out: SideCounters;
  /** Packets the device refused (each is lost; the loop goes on). */
  writeErrors: number;
}

/**
 * What the data path needs of a device. `receive` reads up to `max`
 * packets, handing each to `onPacket` as a view valid only during that
 * call, and returns how many it read: fewer than `max` means the device is
 * empty. `send` takes one packet now or at the next `flush`; the caller may
 * reuse the bytes once it returns. Outcomes are counted in `tally`.
 */
export interface PacketPort {
  readonly kind: string;
  readonly tally: PortTally;
  receive(max: number, onPacket: (bytes: Buffer) => void): number;
  send(bytes: Uint8Array, side: 4 | 6): void;
  flush(): void;
}

/** Largest packet a TUN hands over (IPv6 jumbograms aside). */
export const MAX_PACKET = 65535;

export type Counters = Omit<DaemonStats, 'loop' | 'now' | 'offsetMs' | 'internalErrors' | 'io'>;

export function zeroTally(): PortTally {
  return { out: { 6: 0, 4: 0 }, writeErrors: 0 };
}

export class Dataplane {
  private readonly seen = { in: { 6: 0, 4: 0 }, dropped: { 6: 0, 4: 0 }, notIp: 0 };
  private readonly onPacket = (bytes: Buffer): void => this.handle(bytes);

  constructor(
    private readonly port: PacketPort,
    private xlat: Translator,
  ) {}

  get translator(): Translator {
    return this.xlat;
  }

  /** Every counter, live: reads, drops and garbage seen here, writes as the port counted them. */
  get counters(): Counters {
    const t = this.port.tally;
    return { in: this.seen.in, dropped: this.seen.dropped, notIp: this.seen.notIp, out: t.out, writeErrors: t.writeErrors };
  }

  /** Swaps in a fresh translator (a reconfiguration); counters go on. */
  replace(xlat: Translator): void {
    this.xlat = xlat;
  }

  get internalErrors(): number {
    return (this.xlat as Partial<Nat64Translator>).internalErrors ?? 0;
  }

  /** Reads and translates up to `max` packets and sends what they produce; returns how many were read (fewer: the device is empty). */
  pump(max: number): number {
    const n = this.port.receive(max, this.onPacket);
    this.port.flush();
    return n;
  }

  /** Runs the timers that are due and sends what they emit; returns the number of packets emitted. */
  expire(): number {
    const out = this.xlat.expire();
    this.emit(out);
    this.port.flush();
    return out.length;
  }

  private handle(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const version = bytes[0] >> 4;
    if (version !== 6 && version !== 4) {
      this.seen.notIp++;
      return;
    }
    this.seen.in[version]++;
    // The translator copies what it keeps (held fragments and SYNs), so a view of the port's buffer is enough.
    const out = this.xlat.push(version, bytes);
    if (out.length === 0) this.seen.dropped[version]++;
    else this.emit(out);
  }

  private emit(out: Emitted[]): void {
    for (let i = 0; i < out.length; i++) this.port.send(out[i].bytes, out[i].side);
  }
}
