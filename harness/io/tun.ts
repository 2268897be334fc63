/**
 * TUN devices opened by the lab (IFF_TUN | IFF_NO_PI: one raw IP packet per
 * read/write). The fd is non-blocking: reads return -1 when nothing is queued,
 * and waitReadable() blocks in poll(2) instead of spinning. Synchronous
 * read/write through koffi is the fast path; async fs and streams cost 5–20×
 * more per packet and can merge packets.
 */
import * as libc from './libc';

export interface Tun {
  readonly name: string;
  readonly fd: number;
  /** Bytes read into buf, or -1 when nothing is queued (the fd is non-blocking). */
  read(buf: Buffer): number;
  write(bytes: Buffer): void;
  /** poll(2) for readability up to timeoutMs; true when a packet is queued. */
  waitReadable(timeoutMs: number): boolean;
  close(): void;
}

const TUNSETIFF = 0x400454ca;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const IFF_MULTI_QUEUE = 0x0100;
const IFNAMSIZ = 16;

/** Interface names the kernel accepts: 1–15 characters, no '/', whitespace or ':'. */
export function checkIfName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
    throw new Error(`interface name '${name}' is not usable: give 1–15 characters of letters, digits, '_', '.', '-'`);
  }
}

/** Opens (creating when absent) the TUN `name` in the calling thread's network namespace. */
export function openTun(name: string, opts: { multiQueue?: boolean } = {}): Tun {
  checkIfName(name);
  const fd = libc.open('/dev/net/tun', libc.O_RDWR | libc.O_CLOEXEC | libc.O_NONBLOCK);
  try {
    const ifr = Buffer.alloc(40); // struct ifreq
    ifr.write(name, 0, IFNAMSIZ - 1, 'latin1');
    ifr.writeUInt16LE(IFF_TUN | IFF_NO_PI | (opts.multiQueue ? IFF_MULTI_QUEUE : 0), IFNAMSIZ);
    libc.ioctl(fd, TUNSETIFF, ifr, `TUNSETIFF ${name}`);
    // O_NONBLOCK at open already applies; set it again so a libc that ignores it at open still ends non-blocking.
    libc.setNonBlocking(fd);
  } catch (e) {
    libc.close(fd);
    if (e instanceof libc.LibcError && e.errno === 1) {
      throw new Error(`cannot create TUN '${name}': ${e.message}; run as root (CAP_NET_ADMIN)`);
    }
    throw e;
  }
  return new TunDevice(name, fd);
}

class TunDevice implements Tun {
  private closed = false;
  constructor(readonly name: string, readonly fd: number) {}

  read(buf: Buffer): number {
    this.assertOpen('read');
    return libc.read(this.fd, buf);
  }

  write(bytes: Buffer): void {
    this.assertOpen('write');
    libc.write(this.fd, bytes);
  }

  waitReadable(timeoutMs: number): boolean {
    this.assertOpen('poll');
    return libc.pollReadable([this.fd], timeoutMs).length > 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc.close(this.fd);
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new Error(`TUN '${this.name}': ${what} after close`);
  }
}
