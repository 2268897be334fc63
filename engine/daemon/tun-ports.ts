/**
 * The two ways the daemon moves packets through its TUN, behind one
 * PacketPort (dataplane.ts):
 *
 * - `io_uring`: each batch of reads is one io_uring_enter, and so is each
 *   batch of writes. Packets are read into, and written from, anonymous
 *   memory the kernel addresses directly. This is the fast way: per packet,
 *   a few stores into the rings instead of two native calls and two system
 *   calls.
 * - `read-write`: one read(2) and one write(2) per packet, for kernels or
 *   sandboxes without io_uring.
 *
 * `auto` takes io_uring when the kernel grants a ring and read-write
 * otherwise; the daemon's stats say which one runs.
 */
import * as libc from '../../harness/io/libc';
import type { Tun } from '../../harness/io/tun';
import { IORING_OP_READ, IORING_OP_WRITE, NativeArena, RWF_NOWAIT, Uring } from '../../harness/io/uring';
import { MAX_PACKET, PacketPort, PortTally, zeroTally } from './dataplane';

export type IoMode = 'auto' | 'io_uring' | 'read-write';

/** What the ports need of a TUN: its fd (for the ring) and its plain non-blocking read and write. */
export type TunIo = Pick<Tun, 'fd' | 'read' | 'write'>;
export const IO_MODES: readonly IoMode[] = ['auto', 'io_uring', 'read-write'];

/** One read(2) and one write(2) per packet. */
export class ReadWritePort implements PacketPort {
  readonly kind = 'read-write';
  private readonly buf = Buffer.allocUnsafeSlow(MAX_PACKET);

  constructor(
    private readonly tun: Pick<TunIo, 'read' | 'write'>,
    readonly tally: PortTally = zeroTally(),
  ) {}

  receive(max: number, onPacket: (bytes: Buffer) => void): number {
    let n = 0;
    while (n < max) {
      const len = this.read(this.buf);
      if (len < 0) break;
      n++;
      onPacket(this.buf.subarray(0, len));
    }
    return n;
  }

  /** One read(2) into `buf`: its length, or -1 when the TUN is empty. */
  read(buf: Buffer): number {
    return this.tun.read(buf);
  }

  send(bytes: Uint8Array, side: 4 | 6): void {
    try {
      this.tun.write(bytes as Buffer);
      this.tally.out[side]++;
    } catch {
      // A refused write (device down, queue gone) loses that packet only; the counter is the evidence.
      this.tally.writeErrors++;
    }
  }

  flush(): void {}
}

/** Reads in flight per batch, at most: a full batch under load, a few when packets trickle in. */
const READ_SLOTS = 64;
const FEWEST_READS = 4;
/** Each read slot takes the largest packet whole: a TUN read shorter than the packet loses its tail. */
const SLOT = MAX_PACKET + 1;
/** Outgoing packets are copied here (64-octet aligned) until their batch is submitted. */
const OUT_ARENA = 4 << 20;
const RING_ENTRIES = 256;
/** Completion tags: reads carry their slot, writes this bit plus the side. */
const WRITE_TAG = 0x40000000;
const EAGAIN = -libc.EAGAIN;

/** Batched reads and writes through one io_uring on the TUN's fd. */
export class UringPort implements PacketPort {
  readonly kind = 'io_uring';
  readonly tally: PortTally = zeroTally();
  private readonly lens = new Int32Array(READ_SLOTS);
  private readonly views: Buffer[] = [];
  private outOffset = 0;
  /** Reads to ask for in the next batch: doubles while batches come back full, falls to what arrived. */
  private want = FEWEST_READS;
  /** Plain calls on the same fd, counted in the same tally. */
  private readonly plain: ReadWritePort;
  /** Set while the packet of the plain read is handled: its output takes plain writes too. */
  private direct = false;
  private readonly onCompletion = (tag: number, res: number): void => {
    if (tag & WRITE_TAG) {
      if (res < 0) this.tally.writeErrors++;
      else this.tally.out[(tag & 0xff) as 4 | 6]++;
    } else this.lens[tag] = res;
  };

  private readonly fd: number;

  private constructor(
    tun: TunIo,
    private readonly ring: Uring,
    private readonly input: NativeArena,
    private readonly output: NativeArena,
  ) {
    this.fd = tun.fd;
    for (let i = 0; i < READ_SLOTS; i++) this.views.push(input.bytes.subarray(i * SLOT, (i + 1) * SLOT));
    this.plain = new ReadWritePort(tun, this.tally);
  }

  /** Throws (a LibcError for the kernel's refusal) when no ring can be had. */
  static open(tun: TunIo): UringPort {
    const ring = Uring.open(RING_ENTRIES);
    let input: NativeArena | undefined;
    try {
      input = NativeArena.map(READ_SLOTS * SLOT);
      return new UringPort(tun, ring, input, NativeArena.map(OUT_ARENA));
    } catch (e) {
      input?.close();
      ring.close();
      throw e;
    }
  }

  receive(max: number, onPacket: (bytes: Buffer) => void): number {
    if (max <= 0) return 0;
    // Every call starts with one plain read and its output with plain writes. After a quiet spell that
    // packet is usually the only one, and one system call each way serves it sooner than a ring batch,
    // which needs one for the reads and one for the writes; under load it is one packet in a call's many.
    const first = this.plain.read(this.views[0]);
    if (first < 0) return 0;
    this.direct = true;
    try {
      onPacket(this.views[0].subarray(0, first));
    } finally {
      this.direct = false;
    }
    let n = 1;
    while (n < max) {
      const k = Math.min(max - n, this.want);
      if (this.ring.room < k) this.flush();
      for (let i = 0; i < k; i++) {
        this.lens[i] = EAGAIN;
        this.ring.prep(IORING_OP_READ, this.fd, this.input.address(i * SLOT), SLOT, i, RWF_NOWAIT);
      }
      // With RWF_NOWAIT every read completes inside the call (EAGAIN when the TUN is empty), so waiting for all is free.
      this.ring.submit(this.ring.pending);
      this.ring.reap(this.onCompletion);
      let got = 0;
      let empty = false;
      for (let i = 0; i < k; i++) {
        const res = this.lens[i];
        if (res >= 0) {
          got++;
          onPacket(this.views[i].subarray(0, res));
        } else if (res === EAGAIN) empty = true;
        else throw new libc.LibcError('read (io_uring)', -res);
      }
      n += got;
      this.want = got === k ? Math.min(READ_SLOTS, 2 * k) : Math.max(FEWEST_READS, got + 1);
      if (empty) break;
    }
    return n;
  }

  send(bytes: Uint8Array, side: 4 | 6): void {
    // What the plain-read packet produces goes out the same way, at once; nothing is queued ahead of it.
    if (this.direct) return this.plain.send(bytes, side);
    const len = bytes.length;
    if (this.outOffset + len > OUT_ARENA || this.ring.room === 0) this.flush();
    const at = this.outOffset;
    this.output.bytes.set(bytes, at);
    this.outOffset = (at + len + 63) & ~63;
    this.ring.prep(IORING_OP_WRITE, this.fd, this.output.address(at), len, WRITE_TAG | side);
  }

  flush(): void {
    if (this.ring.pending === 0) return;
    this.ring.submit(this.ring.pending);
    this.ring.reap(this.onCompletion);
    // Every write has completed, so the arena is free again.
    if (this.ring.pending === 0) this.outOffset = 0;
  }

  close(): void {
    this.ring.close();
    this.input.close();
    this.output.close();
  }
}

/** The port for `mode` on `tun`; `auto` falls back to read-write when the kernel refuses io_uring. */
export function openPort(tun: TunIo, mode: IoMode): PacketPort & { close?(): void } {
  if (mode === 'read-write') return new ReadWritePort(tun);
  try {
    return UringPort.open(tun);
  } catch (e) {
    if (mode === 'io_uring') throw new Error(`io_uring unavailable (${(e as Error).message.split('\n')[0]}); set "io": "read-write" or "auto"`);
    return new ReadWritePort(tun);
  }
}
