/**
 * io_uring through koffi: one system call submits a whole batch of reads
 * and writes on non-blocking fds (a TUN takes one packet per read or write
 * and has no recvmmsg/sendmmsg), so a packet costs a few stores into shared
 * memory instead of a native call and a system call each way. On a TUN the
 * kernel completes them inline, during the submitting call.
 *
 * Only what a single-threaded packet loop needs: the submission and
 * completion rings mapped into typed arrays, READ and WRITE opcodes, and
 * packet buffers in anonymous memory (NativeArena) whose addresses the
 * submission entries carry. The rings are touched by this thread and by the
 * kernel only inside io_uring_enter, so plain typed-array accesses suffice.
 */
import * as libc from './libc';

// io_uring_setup and io_uring_enter have the same numbers on every architecture (the unified table).
const SYS_IO_URING_SETUP = 425;
const SYS_IO_URING_ENTER = 426;

const native = libc.lazyBindings({
  // syscall(2) is variadic; fixed integer prototypes are ABI-compatible on x86_64 and arm64.
  setup: 'long syscall(long nr, unsigned int entries, void *params)',
  enter: 'long syscall(long nr, int fd, unsigned int toSubmit, unsigned int minComplete, unsigned int flags, void *sig, unsigned long sigsz)',
  mmap: 'void *mmap(void *addr, unsigned long length, int prot, int flags, int fd, long offset)',
  munmap: 'int munmap(void *addr, unsigned long length)',
});

const PROT_READ_WRITE = 0x3;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_POPULATE = 0x8000;
const IORING_OFF_SQ_RING = 0;
const IORING_OFF_SQES = 0x10000000;
const IORING_FEAT_SINGLE_MMAP = 1;
const IORING_ENTER_GETEVENTS = 1;
export const IORING_OP_READ = 22;
export const IORING_OP_WRITE = 23;
/** preadv2 flag: fail with EAGAIN rather than wait; io_uring then completes at once instead of arming a poll. */
export const RWF_NOWAIT = 0x8;
const SQE_WORDS = 16; // 64-octet submission entries
const CQE_WORDS = 4; // 16-octet completion entries
const TWO32 = 4294967296;

type Pointer = unknown;

/** An anonymous mapping seen from JS as one Buffer, with the address the kernel needs for any offset. */
export class NativeArena {
  readonly bytes: Buffer;
  private closed = false;

  private constructor(private readonly ptr: Pointer, readonly size: number, private readonly base: number) {
    this.bytes = Buffer.from(native().koffi.view(ptr, size) as ArrayBuffer);
  }

  static map(size: number): NativeArena {
    const n = native();
    const ptr = n.mmap(null, size, PROT_READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    const base = mappedAddress(n.koffi.address(ptr) as bigint, 'mmap of a packet arena');
    return new NativeArena(ptr, size, base);
  }

  /** Address of `offset`; below 2^53, so a Number is exact. */
  address(offset: number): number {
    return this.base + offset;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    native().munmap(this.ptr, this.size);
  }
}

function mappedAddress(addr: bigint, what: string): number {
  if (addr === 0xffffffffffffffffn || addr === 0n) throw new libc.LibcError(what, native().koffi.errno());
  return Number(addr);
}

/** One completion: the tag given at submission and the result (octets, or -errno). */
export type Completion = (tag: number, res: number) => void;

export class Uring {
  private readonly sq: Uint32Array;
  private readonly sqTail: number;
  private readonly sqMask: number;
  private readonly sqEntries: number;
  private readonly sqes: Uint32Array;
  private readonly cq: Int32Array;
  private readonly cqHead: number;
  private readonly cqTail: number;
  private readonly cqMask: number;
  private readonly cqes: number;
  private tail: number;
  private queued = 0;
  private inFlight = 0;
  private closed = false;

  private constructor(
    readonly fd: number,
    private readonly maps: { ptr: Pointer; size: number }[],
    ring: ArrayBuffer,
    sqes: ArrayBuffer,
    params: Buffer,
  ) {
    const sqOff = (i: number) => params.readUInt32LE(40 + 4 * i) / 4;
    const cqOff = (i: number) => params.readUInt32LE(80 + 4 * i) / 4;
    this.sq = new Uint32Array(ring);
    this.cq = new Int32Array(ring);
    this.sqTail = sqOff(1);
    this.sqMask = this.sq[sqOff(2)];
    this.sqEntries = this.sq[sqOff(3)];
    const array = sqOff(6);
    // The index array maps ring slot i to entry i once and for all: entries are written in ring order.
    for (let i = 0; i < this.sqEntries; i++) this.sq[array + i] = i;
    this.cqHead = cqOff(0);
    this.cqTail = cqOff(1);
    this.cqMask = this.sq[cqOff(2)];
    this.cqes = cqOff(5);
    this.sqes = new Uint32Array(sqes);
    this.tail = this.sq[this.sqTail];
  }

  /**
   * A ring of `entries` submission slots (a power of two). Throws a LibcError
   * when the kernel refuses (ENOSYS: too old; EPERM: io_uring disabled by
   * sysctl or a seccomp filter), so callers can fall back to plain calls.
   */
  static open(entries: number): Uring {
    const n = native();
    const params = Buffer.alloc(120); // struct io_uring_params
    const fd = Number(n.setup(SYS_IO_URING_SETUP, entries, params));
    if (fd < 0) throw new libc.LibcError('io_uring_setup', n.koffi.errno());
    const maps: { ptr: Pointer; size: number }[] = [];
    try {
      const sqEntries = params.readUInt32LE(0);
      const cqEntries = params.readUInt32LE(4);
      const features = params.readUInt32LE(20);
      if (!(features & IORING_FEAT_SINGLE_MMAP)) throw new Error('io_uring: this kernel lacks IORING_FEAT_SINGLE_MMAP (5.4 or later is needed)');
      const ringSize = Math.max(params.readUInt32LE(40 + 24) + 4 * sqEntries, params.readUInt32LE(80 + 20) + 16 * cqEntries);
      const mapRing = (size: number, offset: number, what: string) => {
        const ptr = n.mmap(null, size, PROT_READ_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        mappedAddress(n.koffi.address(ptr) as bigint, what);
        maps.push({ ptr, size });
        return n.koffi.view(ptr, size) as ArrayBuffer;
      };
      const ring = mapRing(ringSize, IORING_OFF_SQ_RING, 'mmap of the io_uring rings');
      const sqes = mapRing(64 * sqEntries, IORING_OFF_SQES, 'mmap of the io_uring entries');
      return new Uring(fd, maps, ring, sqes, params);
    } catch (e) {
      for (const m of maps) n.munmap(m.ptr, m.size);
      libc.close(fd);
      throw e;
    }
  }

  /** Submission slots left before submit() must be called. */
  get room(): number {
    return this.sqEntries - this.queued;
  }

  /** Operations submitted whose completion has not been reaped yet. */
  get pending(): number {
    return this.inFlight + this.queued;
  }

  /** Queues a READ (`op` IORING_OP_READ) or WRITE of `len` octets at `addr` on `fd` with preadv2/pwritev2 `rwFlags`; `tag` comes back with the completion. */
  prep(op: number, fd: number, addr: number, len: number, tag: number, rwFlags = 0): void {
    if (this.queued === this.sqEntries) throw new Error('io_uring: submission ring full; submit() first');
    const s = this.sqes;
    const o = (this.tail & this.sqMask) * SQE_WORDS;
    s[o] = op; // flags and ioprio 0
    s[o + 1] = fd;
    // Offset -1: the file's own position, which a TUN ignores.
    s[o + 2] = 0xffffffff;
    s[o + 3] = 0xffffffff;
    s[o + 4] = addr % TWO32;
    s[o + 5] = Math.floor(addr / TWO32);
    s[o + 6] = len;
    s[o + 7] = rwFlags;
    s[o + 8] = tag;
    s[o + 9] = 0;
    s[o + 10] = 0;
    s[o + 11] = 0;
    s[o + 12] = 0;
    s[o + 13] = 0;
    this.tail = (this.tail + 1) >>> 0;
    this.queued++;
  }

  /**
   * Hands the queued entries to the kernel and waits until at least
   * `minComplete` completions are posted (0: not at all). Returns how many
   * entries the kernel took.
   */
  submit(minComplete = 0): number {
    if (this.closed) throw new Error('io_uring: submit after close');
    this.sq[this.sqTail] = this.tail;
    const n = native();
    for (;;) {
      const r = Number(n.enter(SYS_IO_URING_ENTER, this.fd, this.queued, minComplete, IORING_ENTER_GETEVENTS, null, 0));
      if (r >= 0) {
        this.queued -= r;
        this.inFlight += r;
        return r;
      }
      const errno = n.koffi.errno();
      if (errno !== libc.EINTR) throw new libc.LibcError('io_uring_enter', errno);
    }
  }

  /** Calls `done` for every posted completion, in the order the kernel posted them; returns how many. */
  reap(done: Completion): number {
    const cq = this.cq;
    let head = cq[this.cqHead] >>> 0;
    const tail = cq[this.cqTail] >>> 0;
    let n = 0;
    while (head !== tail) {
      const o = this.cqes + (head & this.cqMask) * CQE_WORDS;
      // The head moves before the callback, so a callback that submits more sees a consistent ring.
      head = (head + 1) >>> 0;
      cq[this.cqHead] = head;
      this.inFlight--;
      n++;
      done(cq[o], cq[o + 2]);
    }
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const n = native();
    for (const m of this.maps) n.munmap(m.ptr, m.size);
    libc.close(this.fd);
  }
}
