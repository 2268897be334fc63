/**
 * The socket calls AF_PACKET capture and injection need (socket, bind,
 * setsockopt, if_nametoindex), and sendto for raw IP sockets, through koffi, loaded on first use like
 * harness/io/libc.ts so runs that never touch a NIC never load it. The
 * generic calls (read, write, ioctl, poll, setns) stay in libc.ts.
 */
import { LibcError, lazyBindings } from './libc';

const calls = lazyBindings({
  socket: 'int socket(int domain, int type, int protocol)',
  bind: 'int bind(int fd, void *addr, uint32_t len)',
  setsockopt: 'int setsockopt(int fd, int level, int name, void *val, uint32_t len)',
  sendto: 'long sendto(int fd, void *buf, unsigned long len, int flags, void *addr, uint32_t addrlen)',
  ifNameToIndex: 'unsigned int if_nametoindex(const char *name)',
});

export const AF_PACKET = 17;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_RCVBUFFORCE = 33;
export const SO_SNDBUFFORCE = 32;
export const SOL_PACKET = 263;
export const PACKET_IGNORE_OUTGOING = 23;
export const ETH_P_ALL = 0x0003;
export const AF_INET = 2;
export const AF_INET6 = 10;
/** With SOCK_RAW: the caller supplies the whole IP header (IP_HDRINCL on IPv4, header included on IPv6). */
export const IPPROTO_RAW = 255;
export const SO_BROADCAST = 6;
export const SO_BINDTODEVICE = 25;

function check(call: string, r: number, what?: string): number {
  if (r < 0) throw new LibcError(call, calls().koffi.errno(), what);
  return r;
}

export function socket(domain: number, type: number, protocol: number): number {
  return check('socket', Number(calls().socket(domain, type, protocol)));
}

export function bind(fd: number, addr: Buffer, what?: string): void {
  check('bind', Number(calls().bind(fd, addr, addr.length)), what);
}

export function setsockoptInt(fd: number, level: number, name: number, value: number, what?: string): void {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value);
  check('setsockopt', Number(calls().setsockopt(fd, level, name, v, 4)), what);
}

/** setsockopt with a byte value (SO_BINDTODEVICE takes the interface name). */
export function setsockoptBytes(fd: number, level: number, name: number, value: Buffer, what?: string): void {
  check('setsockopt', Number(calls().setsockopt(fd, level, name, value, value.length)), what);
}

/** sendto(2) of the whole buffer to the socket address `addr`; returns the bytes sent. */
export function sendto(fd: number, bytes: Buffer, addr: Buffer, what?: string): number {
  const n = check('sendto', Number(calls().sendto(fd, bytes, bytes.length, 0, addr, addr.length)), what);
  if (n !== bytes.length) throw new Error(`sendto${what ? ` ${what}` : ''}: ${n} of ${bytes.length} bytes sent`);
  return n;
}

/** The interface index of `name` in the calling thread's namespace; 0 when there is no such interface. */
export function ifNameToIndex(name: string): number {
  return Number(calls().ifNameToIndex(name));
}
