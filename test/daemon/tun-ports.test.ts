/**
 * The daemon's two TUN ports, without root: a non-blocking unix datagram
 * socketpair stands in for the TUN (one packet per read or write, EAGAIN
 * when empty). Both ports must read in order, stop when the device is
 * empty, write what they are given in order, and count outcomes alike.
 */
import { expect } from 'chai';
import * as libc from '../../harness/io/libc';
import { PacketPort } from '../../engine/daemon/dataplane';
import { ReadWritePort, TunIo, UringPort, openPort } from '../../engine/daemon/tun-ports';

const sys = libc.lazyBindings({ socketpair: 'int socketpair(int domain, int type, int protocol, _Out_ int *sv)' });
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

/** Two connected datagram sockets: `dev` plays the TUN's fd, `peer` the kernel's side of it. */
function socketPair(): { dev: number; peer: number; close(): void } {
  const sv = [0, 0];
  const r = Number(sys().socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
  if (r < 0) throw new libc.LibcError('socketpair', sys().koffi.errno());
  return { dev: sv[0], peer: sv[1], close: () => sv.forEach((fd) => libc.close(fd)) };
}

function drainPeer(fd: number): string[] {
  const buf = Buffer.alloc(2048);
  const got: string[] = [];
  for (let n = libc.read(fd, buf); n >= 0; n = libc.read(fd, buf)) got.push(buf.toString('latin1', 0, n));
  return got;
}

/** The device end of the pair as the ports see a TUN. */
function tunOf(fd: number): TunIo {
  return { fd, read: (b) => libc.read(fd, b), write: (b) => void libc.write(fd, b) };
}

const ports: [string, (fd: number) => PacketPort & { close?(): void }][] = [
  ['read-write', (fd) => new ReadWritePort(tunOf(fd))],
  ['io_uring', (fd) => UringPort.open(tunOf(fd))],
];

for (const [name, make] of ports) {
  describe(`daemon: the ${name} port on a datagram socket`, () => {
    let pair: ReturnType<typeof socketPair>;
    let port: PacketPort & { close?(): void };

    beforeEach(function () {
      pair = socketPair();
      try {
        port = make(pair.dev);
      } catch (e) {
        pair.close();
        // Only io_uring can be refused (kernel or sandbox); the daemon then runs read-write.
        if (name === 'io_uring') this.skip();
        throw e;
      }
    });
    afterEach(() => {
      port?.close?.();
      pair?.close();
    });

    it('hands packets over in order, one call each, and says so when the device is empty', () => {
      for (let i = 0; i < 150; i++) libc.write(pair.peer, Buffer.from(`p${i}`));
      const seen: string[] = [];
      expect(port.receive(100, (b) => seen.push(b.toString('latin1')))).to.equal(100);
      expect(port.receive(100, (b) => seen.push(b.toString('latin1')))).to.equal(50);
      expect(port.receive(100, (b) => seen.push(b.toString('latin1')))).to.equal(0);
      expect(seen).to.deep.equal(Array.from({ length: 150 }, (_, i) => `p${i}`));
    });

    it('writes in the order given, from inside the packet callbacks too, and counts per side once flushed', () => {
      for (let i = 0; i < 70; i++) libc.write(pair.peer, Buffer.from(`in${i}`));
      const answer = Buffer.alloc(16);
      const n = port.receive(1000, (b) => {
        // The port's buffer is reused; the caller's is too, so each send must take its copy at once.
        const len = answer.write(`out${b.toString('latin1', 2)}`, 'latin1');
        port.send(answer.subarray(0, len), b[2] % 2 ? 4 : 6);
      });
      port.send(Buffer.from('last'), 6);
      port.flush();
      expect(n).to.equal(70);
      expect(drainPeer(pair.peer)).to.deep.equal([...Array.from({ length: 70 }, (_, i) => `out${i}`), 'last']);
      expect(port.tally.out[6] + port.tally.out[4]).to.equal(71);
      expect(port.tally.writeErrors).to.equal(0);
    });

    it('counts a refused write as a write error and goes on', () => {
      // A datagram larger than the socket's send buffer is refused (EMSGSIZE), like a TUN refusing a packet.
      port.send(Buffer.alloc(1 << 20), 4);
      port.send(Buffer.from('fine'), 6);
      port.flush();
      expect(port.tally.writeErrors).to.equal(1);
      expect(port.tally.out).to.deep.equal({ 6: 1, 4: 0 });
      expect(drainPeer(pair.peer)).to.deep.equal(['fine']);
    });
  });
}

describe('daemon: choosing the port', () => {
  it('takes read-write when asked, and io_uring on auto when the kernel grants a ring', () => {
    const pair = socketPair();
    const tun = tunOf(pair.dev);
    try {
      expect(openPort(tun, 'read-write').kind).to.equal('read-write');
      let granted = true;
      try {
        UringPort.open(tun).close();
      } catch {
        granted = false;
      }
      const auto = openPort(tun, 'auto');
      expect(auto.kind).to.equal(granted ? 'io_uring' : 'read-write');
      auto.close?.();
    } finally {
      pair.close();
    }
  });
});
