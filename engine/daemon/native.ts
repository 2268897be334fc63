/**
 * The two system calls the daemon needs beyond harness/io/libc.ts: an
 * eventfd, so the control thread can wake the data-path thread out of
 * poll(2) at once, and getrusage(RUSAGE_THREAD) for the loop's own CPU time
 * (process.cpuUsage() counts every thread). Bound lazily through koffi.
 */
import * as libc from '../../harness/io/libc';

const native = libc.lazyBindings({
  eventfd: 'int eventfd(unsigned int initval, int flags)',
  getrusage: 'int getrusage(int who, void *usage)',
});

const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const RUSAGE_THREAD = 1;

/** A non-blocking eventfd: `signal()` from any thread makes it readable until `drain()`. */
export class Wakeup {
  private readonly one = Buffer.alloc(8);
  private readonly sink = Buffer.alloc(8);

  constructor(readonly fd: number) {
    this.one.writeBigUInt64LE(1n);
  }

  static create(): Wakeup {
    const n = native();
    const fd = Number(n.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (fd < 0) throw new libc.LibcError('eventfd', n.koffi.errno());
    return new Wakeup(fd);
  }

  signal(): void {
    libc.write(this.fd, this.one);
  }

  drain(): void {
    libc.read(this.fd, this.sink);
  }

  close(): void {
    libc.close(this.fd);
  }
}

const rusage = Buffer.alloc(144);

/** CPU time of the calling thread, in ms. */
export function threadCpuMs(): { userMs: number; systemMs: number } {
  const n = native();
  if (Number(n.getrusage(RUSAGE_THREAD, rusage)) < 0) return { userMs: 0, systemMs: 0 };
  // struct rusage starts with ru_utime and ru_stime, each a struct timeval { long tv_sec; long tv_usec; }.
  const tv = (off: number) => Number(rusage.readBigInt64LE(off)) * 1000 + Number(rusage.readBigInt64LE(off + 8)) / 1000;
  return { userMs: tv(0), systemMs: tv(16) };
}
