/**
 * AF_PACKET sockets bound to one interface: the harness injects and captures
 * whole Ethernet frames on a NIC wired to a device under test. The socket is
 * created with protocol 0 (it receives nothing) and only bind() with
 * ETH_P_ALL and the interface index turns capture on, so no frame of another
 * interface is ever queued. PACKET_IGNORE_OUTGOING keeps the harness's own
 * transmissions out of the capture; the receive buffer is enlarged so a
 * burst the device emits while a case is busy is not lost. The fd is
 * non-blocking: read() returns -1 when nothing is queued.
 *
 * The interfaces may live in another network namespace (a lab keeps its
 * NICs away from the host's stack): the socket is created inside it through
 * setns on the calling thread and the thread returns at once; a packet
 * socket stays bound to the namespace it was created in.
 */
import * as libc from './libc';
import * as pk from './libc-packet';

export interface PacketSocket {
  readonly ifname: string;
  readonly fd: number;
  readonly ifindex: number;
  /** The interface's own MAC (the source of every frame the harness sends). */
  readonly mac: Buffer;
  /** Bytes of one frame read into buf, or -1 when nothing is queued. */
  read(buf: Buffer): number;
  /** Sends one whole Ethernet frame. */
  send(frame: Buffer): void;
  close(): void;
}

const SIOCGIFHWADDR = 0x8927;
const RCVBUF = 8 << 20;

function htons(x: number): number {
  return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

/** Runs `fn` with the calling thread inside the namespace `netns` (named, under /run/netns), then returns to the thread's own. */
export function inNamespace<T>(netns: string | undefined, fn: () => T): T {
  if (!netns) return fn();
  const own = libc.open('/proc/thread-self/ns/net', libc.O_RDONLY | libc.O_CLOEXEC);
  let target: number;
  try {
    target = libc.open(`/run/netns/${netns}`, libc.O_RDONLY | libc.O_CLOEXEC);
  } catch (err) {
    libc.close(own);
    throw new Error(`network namespace '${netns}': ${(err as Error).message}; create it or fix "netns" in the target file`);
  }
  try {
    libc.setns(target, libc.CLONE_NEWNET);
    try {
      return fn();
    } finally {
      // Failing to return would leave the whole event loop in the lab's namespace: nothing may continue then.
      try {
        libc.setns(own, libc.CLONE_NEWNET);
      } catch (err) {
        process.stderr.write(`nat64lab: cannot return from network namespace '${netns}': ${(err as Error).message}\n`);
        process.exit(70);
      }
    }
  } finally {
    libc.close(target);
    libc.close(own);
  }
}

/**
 * A non-blocking raw socket (`domain`, `protocol`) for the NIC `ifname`, in
 * the calling thread's namespace; `kind` names it in errors, which are one
 * line naming the interface. The caller binds it and closes it on failure.
 */
export function rawSocketFor(ifname: string, netns: string | undefined, domain: number, protocol: number, kind: string): { fd: number; ifindex: number; where: string } {
  const where = netns ? `${ifname} (namespace ${netns})` : ifname;
  const ifindex = pk.ifNameToIndex(ifname);
  if (ifindex === 0) throw new Error(`interface ${where} does not exist; check the interface names in the target file ('ip link' lists them)`);
  try {
    return { fd: pk.socket(domain, pk.SOCK_RAW | pk.SOCK_NONBLOCK | pk.SOCK_CLOEXEC, protocol), ifindex, where };
  } catch (err) {
    if (err instanceof libc.LibcError && err.errno === 1) throw new Error(`cannot open a ${kind} on ${where}: ${err.message}; run as root (CAP_NET_RAW)`);
    throw err;
  }
}

/** Opens a capture-and-inject socket on `ifname` (in `netns` when given); errors are one line naming the interface. */
export function openPacketSocket(ifname: string, opts: { netns?: string } = {}): PacketSocket {
  return inNamespace(opts.netns, () => {
    const { fd, ifindex, where } = rawSocketFor(ifname, opts.netns, pk.AF_PACKET, 0, 'packet socket');
    try {
      pk.setsockoptInt(fd, pk.SOL_PACKET, pk.PACKET_IGNORE_OUTGOING, 1, 'PACKET_IGNORE_OUTGOING');
      pk.setsockoptInt(fd, pk.SOL_SOCKET, pk.SO_RCVBUFFORCE, RCVBUF, 'SO_RCVBUFFORCE');
      const sll = Buffer.alloc(20); // struct sockaddr_ll
      sll.writeUInt16LE(pk.AF_PACKET, 0);
      sll.writeUInt16LE(htons(pk.ETH_P_ALL), 2);
      sll.writeInt32LE(ifindex, 4);
      pk.bind(fd, sll, where);
      const ifr = Buffer.alloc(40); // struct ifreq; ifr_hwaddr.sa_data at 18
      ifr.write(ifname, 0, 15, 'latin1');
      libc.ioctl(fd, SIOCGIFHWADDR, ifr, `SIOCGIFHWADDR ${where}`);
      const hwType = ifr.readUInt16LE(16);
      // ARPHRD_ETHER: a TUN or a loopback carries no Ethernet header and cannot be an l2 port.
      if (hwType !== 1) throw new Error(`interface ${where} is not an Ethernet interface (ARPHRD ${hwType}); give the NIC or VLAN interface wired to the device`);
      return new Socket(ifname, fd, ifindex, Buffer.from(ifr.subarray(18, 24)));
    } catch (err) {
      libc.close(fd);
      throw err;
    }
  });
}

class Socket implements PacketSocket {
  private closed = false;
  constructor(readonly ifname: string, readonly fd: number, readonly ifindex: number, readonly mac: Buffer) {}

  read(buf: Buffer): number {
    if (this.closed) throw new Error(`packet socket on ${this.ifname}: read after close`);
    return libc.read(this.fd, buf);
  }

  send(frame: Buffer): void {
    if (this.closed) throw new Error(`packet socket on ${this.ifname}: send after close`);
    libc.write(this.fd, frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc.close(this.fd);
  }
}
