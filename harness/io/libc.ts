/**
 * The few libc calls the lab needs for packet I/O (TUN devices, poll, setns),
 * through koffi. koffi is loaded on the first call, not at import, so runs
 * against the in-process engine never load the native library.
 */
import type * as KoffiModule from 'koffi';

export type Fn = (...args: unknown[]) => unknown;

let loaded: { koffi: typeof KoffiModule; lib: KoffiModule.IKoffiLib } | undefined;

function load(): { koffi: typeof KoffiModule; lib: KoffiModule.IKoffiLib } {
  if (loaded) return loaded;
  let koffi: typeof KoffiModule;
  try {
    koffi = require('koffi') as typeof KoffiModule;
  } catch (e) {
    throw new Error(`cannot load koffi (${(e as Error).message.split('\n')[0]}); run 'npm install' in the nat64lab folder`);
  }
  loaded = { koffi, lib: koffi.load('libc.so.6') };
  return loaded;
}

/**
 * libc functions bound through koffi on the first call, from C prototypes:
 * every module that needs system calls declares its own few and shares one
 * load of koffi and libc.
 */
export function lazyBindings<K extends string>(prototypes: Record<K, string>): () => Record<K, Fn> & { koffi: typeof KoffiModule } {
  let bound: (Record<K, Fn> & { koffi: typeof KoffiModule }) | undefined;
  return () => {
    if (bound) return bound;
    const { koffi, lib } = load();
    const fns = {} as Record<K, Fn>;
    for (const name of Object.keys(prototypes) as K[]) fns[name] = lib.func(prototypes[name]) as Fn;
    bound = Object.assign(fns, { koffi });
    return bound;
  };
}

// open() is variadic in C; a fixed two-argument prototype is ABI-compatible on x86_64 and arm64.
const libc = lazyBindings({
  open: 'int open(const char *path, int flags)',
  close: 'int close(int fd)',
  ioctl: 'int ioctl(int fd, unsigned long req, void *arg)',
  fcntl: 'int fcntl(int fd, int cmd, int arg)',
  read: 'long read(int fd, void *buf, unsigned long count)',
  write: 'long write(int fd, void *buf, unsigned long count)',
  poll: 'int poll(void *fds, unsigned long nfds, int timeout)',
  setns: 'int setns(int fd, int nstype)',
  strerror: 'const char *strerror(int errnum)',
});

export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const POLLIN = 1;
export const EAGAIN = 11;
export const EINTR = 4;
export const CLONE_NEWNET = 0x40000000;

/** A failed libc call: `call` names it, `errno` is the C error number. */
export class LibcError extends Error {
  constructor(readonly call: string, readonly errno: number, what?: string) {
    super(`${call}${what ? ` ${what}` : ''}: ${describeErrno(errno)}`);
  }
}

/** strerror(errno), with the number for searching. */
export function describeErrno(errno: number): string {
  return `${String(libc().strerror(errno))} (errno ${errno})`;
}

function check(call: string, r: number, what?: string): number {
  if (r < 0) throw new LibcError(call, libc().koffi.errno(), what);
  return r;
}

export function open(path: string, flags: number): number {
  return check('open', Number(libc().open(path, flags)), path);
}

export function close(fd: number): void {
  check('close', Number(libc().close(fd)));
}

/** ioctl with a buffer argument (struct ifreq and the like), filled in place. */
export function ioctl(fd: number, request: number, arg: Buffer, what?: string): number {
  return check('ioctl', Number(libc().ioctl(fd, request, arg)), what);
}

export function setNonBlocking(fd: number): void {
  const c = libc();
  const flags = check('fcntl(F_GETFL)', Number(c.fcntl(fd, F_GETFL, 0)));
  check('fcntl(F_SETFL)', Number(c.fcntl(fd, F_SETFL, flags | O_NONBLOCK)));
}

/** read(2) into buf; -1 when the fd is non-blocking and nothing is queued (EAGAIN/EINTR). */
export function read(fd: number, buf: Buffer, length = buf.length): number {
  const c = libc();
  const n = Number(c.read(fd, buf, Math.min(length, buf.length)));
  if (n >= 0) return n;
  const errno = c.koffi.errno();
  if (errno === EAGAIN || errno === EINTR) return -1;
  throw new LibcError('read', errno);
}

/** write(2) of the whole buffer; a short write is an error (a TUN takes a packet whole or not at all). */
export function write(fd: number, bytes: Buffer): number {
  const c = libc();
  const n = Number(c.write(fd, bytes, bytes.length));
  if (n < 0) throw new LibcError('write', c.koffi.errno(), `of ${bytes.length} bytes`);
  if (n !== bytes.length) throw new Error(`write: ${n} of ${bytes.length} bytes written`);
  return n;
}

const pollfds = new Map<number, Buffer>();

/** poll(2) for POLLIN on several fds; returns the fds that are readable (empty on timeout). */
export function pollReadable(fds: readonly number[], timeoutMs: number): number[] {
  const c = libc();
  let buf = pollfds.get(fds.length);
  if (!buf) pollfds.set(fds.length, (buf = Buffer.alloc(8 * fds.length)));
  fds.forEach((fd, i) => {
    buf!.writeInt32LE(fd, 8 * i);
    buf!.writeInt16LE(POLLIN, 8 * i + 4);
    buf!.writeInt16LE(0, 8 * i + 6);
  });
  const r = Number(c.poll(buf, fds.length, Math.max(0, Math.floor(timeoutMs))));
  if (r < 0) {
    const errno = c.koffi.errno();
    if (errno === EINTR) return [];
    throw new LibcError('poll', errno);
  }
  if (r === 0) return [];
  // Any revents (POLLIN, POLLERR, POLLHUP) means a read will not block; read() reports the rest.
  return fds.filter((_, i) => buf!.readInt16LE(8 * i + 6) !== 0);
}

/** setns(2): moves the calling thread into the namespace `fd` refers to. */
export function setns(fd: number, nstype: number): void {
  check('setns', Number(libc().setns(fd, nstype)));
}

/** Whether koffi has been loaded in this process (for tests that prove the lazy load). */
export function isLoaded(): boolean {
  return loaded !== undefined;
}

/** A readiness watch on an fd, driven by the event loop (libuv poll), so waiting never blocks other work in the process. */
export interface ReadableWatch {
  /** Stops calling back; start() resumes. A stopped watch does not keep the process alive. */
  stop(): void;
  start(): void;
  close(): void;
}

/** Calls `onReadable` from the event loop whenever `fd` is readable, until stopped. */
export function watchReadable(fd: number, onReadable: () => void): ReadableWatch {
  const { koffi } = libc();
  // koffi.node.poll is libuv's uv_poll_t (koffi is pinned to an exact version for it).
  const handle = koffi.node.poll(fd, { readable: true }, () => onReadable());
  let running = true;
  let closed = false;
  return {
    stop() {
      if (running && !closed) handle.stop();
      running = false;
    },
    start() {
      if (!running && !closed) handle.start({ readable: true }, () => onReadable());
      running = true;
    },
    close() {
      if (closed) return;
      closed = true;
      handle.close();
    },
  };
}
