/**
 * The l2 port: Ethernet framing, ARP and neighbour discovery for the
 * harness's side of a device, first with frames in memory, then on a veth
 * pair against a Linux namespace standing in for the device (its kernel
 * resolves the harness's impersonated hosts and answers for its own address).
 */
import { expect } from 'chai';
import { openPacketSocket } from '../../harness/io/packet-socket';
import { ETH_ARP, ETH_IPV4, ETH_IPV6, L2Port, arpPacket, ethernet, linkLocalOf, macBytes, macText, ndPacket } from '../../harness/lab/l2-port';
import { Netns } from '../../harness/lab/netns';
import { formatIPv4, formatIPv6, parseIPv6 } from '../../harness/packet/address';
import { internetChecksum, pseudoHeaderSum6 } from '../../harness/packet/checksum';
import { decode, encode } from '../../harness/packet/codec';
import { needRoot } from '../lab/lab-helpers';
import { nlkPrefix } from './appliance';

const HARNESS = macBytes('02:00:00:00:00:aa');
const DEVICE = macBytes('02:00:00:00:00:dd');

class FakePort {
  readonly mac = HARNESS;
  readonly sent: Buffer[] = [];
  send(frame: Buffer): void {
    this.sent.push(frame);
  }
}

function icmp6ChecksumOk(packet: Buffer): boolean {
  const body = packet.subarray(40);
  return internetChecksum(body, pseudoHeaderSum6(packet.subarray(8, 24), packet.subarray(24, 40), 58, body.length)) === 0;
}

describe('external: l2 port (frames in memory)', () => {
  it('answers ARP for any address but the device\'s own and its pool, and learns the device\'s MAC', () => {
    const fake = new FakePort();
    const port = new L2Port(fake, { family: 4, deviceAddress: '198.18.254.2', deviceOwns: (a) => a === '198.18.0.1' });
    expect(port.receive(ethernet(macBytes('ff:ff:ff:ff:ff:ff'), DEVICE, ETH_ARP, arpPacket(1, DEVICE, '198.18.254.2', Buffer.alloc(6), '198.18.100.10')))).to.equal(undefined);
    expect(port.device).to.equal(macText(DEVICE));
    expect(fake.sent).to.have.length(1);
    const reply = fake.sent[0];
    expect(macText(reply.subarray(0, 6))).to.equal(macText(DEVICE));
    expect(reply.readUInt16BE(12)).to.equal(ETH_ARP);
    expect(reply.readUInt16BE(14 + 6)).to.equal(2);
    expect(macText(reply.subarray(14 + 8, 14 + 14))).to.equal(macText(HARNESS));
    expect(formatIPv4(reply, 14 + 14)).to.equal('198.18.100.10');
    expect(formatIPv4(reply, 14 + 24)).to.equal('198.18.254.2');
    // Never for the device's own address or its pool.
    port.receive(ethernet(macBytes('ff:ff:ff:ff:ff:ff'), DEVICE, ETH_ARP, arpPacket(1, DEVICE, '198.18.254.2', Buffer.alloc(6), '198.18.0.1')));
    port.receive(ethernet(macBytes('ff:ff:ff:ff:ff:ff'), DEVICE, ETH_ARP, arpPacket(1, macBytes('02:00:00:00:00:01'), '198.18.254.9', Buffer.alloc(6), '198.18.254.2')));
    expect(fake.sent).to.have.length(1);
    expect(port.counters).to.deep.include({ arpAnswered: 1, plumbing: 2 });
  });

  it('answers a neighbour solicitation with a valid solicited NA and learns the device from its NA', () => {
    const fake = new FakePort();
    const port = new L2Port(fake, { family: 6, deviceAddress: '2001:db8:6::fffd' });
    const target = parseIPv6('2001:db8:6::10');
    const src = parseIPv6('2001:db8:6::fffd');
    const ns = ndPacket(135, src, parseIPv6('ff02::1:ff00:10'), target, DEVICE);
    expect(port.receive(ethernet(macBytes('33:33:ff:00:00:10'), DEVICE, ETH_IPV6, ns))).to.equal(undefined);
    expect(fake.sent).to.have.length(1);
    const na = fake.sent[0].subarray(14);
    expect(macText(fake.sent[0].subarray(0, 6))).to.equal(macText(DEVICE));
    expect(na[7]).to.equal(255);
    expect(formatIPv6(na, 8)).to.equal('2001:db8:6::10');
    expect(formatIPv6(na, 24)).to.equal('2001:db8:6::fffd');
    expect(na[40]).to.equal(136);
    expect(na.readUInt32BE(44) >>> 29).to.equal(0b011); // S and O, not R
    expect(macText(na.subarray(40 + 26, 40 + 32))).to.equal(macText(HARNESS));
    expect(icmp6ChecksumOk(na)).to.equal(true);
    expect(port.device).to.equal(undefined);
    // The device's answer to the harness's solicitation.
    port.receive(ethernet(HARNESS, DEVICE, ETH_IPV6, ndPacket(136, src, linkLocalOf(HARNESS), src, DEVICE, 0x60000000)));
    expect(port.device).to.equal(macText(DEVICE));
  });

  it('solicits the device: an ARP probe and an NS to the solicited-node group', () => {
    const fake = new FakePort();
    new L2Port(fake, { family: 4, deviceAddress: '198.18.254.2' }).solicit();
    new L2Port(fake, { family: 6, deviceAddress: '2001:db8:6::fffd' }).solicit();
    const [arp, ns] = fake.sent;
    expect(macText(arp.subarray(0, 6))).to.equal('ff:ff:ff:ff:ff:ff');
    expect(formatIPv4(arp, 14 + 14)).to.equal('0.0.0.0');
    expect(formatIPv4(arp, 14 + 24)).to.equal('198.18.254.2');
    expect(macText(ns.subarray(0, 6))).to.equal('33:33:ff:00:ff:fd');
    const ip = ns.subarray(14);
    expect(formatIPv6(ip, 8)).to.equal('fe80::ff:fe00:aa');
    expect(formatIPv6(ip, 24)).to.equal('ff02::1:ff00:fffd');
    expect(icmp6ChecksumOk(ip)).to.equal(true);
  });

  it('frames packets toward the device and strips padding and plumbing from what it emits', () => {
    const fake = new FakePort();
    const port = new L2Port(fake, { family: 4, deviceMac: macText(DEVICE), deviceAddress: '198.18.254.2' });
    const pkt = encode({ ipv4: { src: '198.18.100.10', dst: '198.18.0.1', ttl: 64 }, udp: { sport: 7, dport: 1024 }, payload: Buffer.from('x') });
    port.sendPacket(pkt);
    expect(fake.sent[0].subarray(0, 14).toString('hex')).to.equal(`${DEVICE.toString('hex')}${HARNESS.toString('hex')}0800`);
    expect(fake.sent[0].subarray(14)).to.deep.equal(pkt);
    // A 29-byte packet arrives padded to the 60-byte minimum frame.
    const padded = Buffer.concat([ethernet(HARNESS, DEVICE, ETH_IPV4, pkt), Buffer.alloc(60 - 14 - pkt.length)]);
    expect(port.receive(padded)).to.deep.equal(pkt);
    // Other ethertypes, frames for other stations, runts and broken headers are never evidence.
    expect(port.receive(ethernet(HARNESS, DEVICE, 0x88cc, Buffer.alloc(40)))).to.equal(undefined);
    expect(port.receive(ethernet(macBytes('02:00:00:00:00:99'), DEVICE, ETH_IPV4, pkt))).to.equal(undefined);
    expect(port.receive(Buffer.alloc(10))).to.equal(undefined);
    expect(port.receive(ethernet(HARNESS, DEVICE, ETH_IPV4, Buffer.from([0x45, 0])))).to.equal(undefined);
    expect(port.counters).to.deep.include({ plumbing: 2, malformed: 2 });
    // A malformed IPv4 packet with a whole header is evidence: the device sent it.
    const lying = Buffer.from(pkt);
    lying.writeUInt16BE(9000, 2);
    expect(port.receive(ethernet(HARNESS, DEVICE, ETH_IPV4, lying))).to.deep.equal(lying);
  });
});

describe('external: l2 port on a veth pair against a Linux namespace', function () {
  this.timeout(30_000);
  let harness: Netns | undefined;
  let device: Netns | undefined;

  after(async () => {
    await device?.delete();
    await harness?.delete();
  });

  it('learns the device\'s MACs by ARP and NDP and answers its lookups for the lab\'s hosts', async function () {
    needRoot(this);
    const p = nlkPrefix();
    harness = await Netns.create(`${p}-h`);
    device = await Netns.create(`${p}-d`);
    await harness.ip(`link add ${p}h type veth peer name ${p}d netns ${device.name}`);
    await harness.sysctl({ [`net.ipv6.conf.${p}h.disable_ipv6`]: 1 });
    await harness.ip(`link set ${p}h up`);
    await device.sysctl({ [`net.ipv6.conf.${p}d.accept_dad`]: 0 });
    await device.ip(`link set ${p}d up`);
    await device.ip(`addr add 198.18.254.2/24 dev ${p}d`);
    await device.ip(`-6 addr add 2001:db8:6::fffd/64 dev ${p}d nodad`);

    const sock = openPacketSocket(`${p}h`, { netns: harness.name });
    try {
      const buf = Buffer.alloc(70000);
      const port4 = new L2Port(sock, { family: 4, deviceAddress: '198.18.254.2' });
      const port6 = new L2Port(sock, { family: 6, deviceAddress: '2001:db8:6::fffd' });
      const deviceMac = (await device.exec(['cat', `/sys/class/net/${p}d/address`])).stdout.trim();
      /** Feeds every frame to both ports until `done` holds (or 5 s pass); returns the IP packets seen. */
      const pumpUntil = async (done: (seen: Buffer[]) => boolean, poke: () => void): Promise<Buffer[]> => {
        const seen: Buffer[] = [];
        const deadline = Date.now() + 5000;
        let nextPoke = 0;
        while (!done(seen) && Date.now() < deadline) {
          if (Date.now() >= nextPoke) {
            poke();
            nextPoke = Date.now() + 250;
          }
          const n = sock.read(buf);
          if (n < 0) {
            await new Promise((r) => setImmediate(r));
            continue;
          }
          const frame = buf.subarray(0, n);
          for (const port of [port4, port6]) {
            const pkt = port.receive(frame);
            if (pkt && port === port4 && pkt[0] >> 4 === 4) seen.push(pkt);
            if (pkt && port === port6 && pkt[0] >> 4 === 6) seen.push(pkt);
          }
        }
        return seen;
      };
      await pumpUntil(() => !!port4.device && !!port6.device, () => {
        if (!port4.device) port4.solicit();
        if (!port6.device) port6.solicit();
      });
      expect(port4.device).to.equal(deviceMac);
      expect(port6.device).to.equal(deviceMac);

      // The device sends to hosts only the harness stands for: its kernel must resolve them through the harness's answers.
      const udp = (family: string, to: string) =>
        device!.exec([process.execPath, '-e', `const s=require('dgram').createSocket('${family}');s.send('lab',9,'${to}',()=>s.close())`]);
      const pings = [udp('udp4', '198.18.254.77'), udp('udp6', '2001:db8:6::10')];
      const seen = await pumpUntil((s) => s.some((x) => x[0] >> 4 === 4) && s.some((x) => x[0] >> 4 === 6), () => undefined);
      await Promise.all(pings);
      const echo4 = seen.map((s) => decode(s)).find((x) => x.ipv4);
      const echo6 = seen.map((s) => decode(s)).find((x) => x.ipv6);
      expect(echo4?.ipv4).to.include({ src: '198.18.254.2', dst: '198.18.254.77' });
      expect(echo4?.udp).to.include({ dport: 9 });
      expect(echo6?.ipv6).to.include({ src: '2001:db8:6::fffd', dst: '2001:db8:6::10' });
      expect(echo6?.udp).to.include({ dport: 9 });
      expect(port4.counters.arpAnswered).to.be.greaterThan(0);
      expect(port6.counters.ndAnswered).to.be.greaterThan(0);
      const neigh = (await device.exec(['ip', 'neigh', 'show', 'dev', `${p}d`])).stdout;
      expect(neigh).to.match(new RegExp(`198\\.18\\.254\\.77 lladdr ${macText(sock.mac)}`));
      expect(neigh).to.match(new RegExp(`2001:db8:6::10 lladdr ${macText(sock.mac)}`));
    } finally {
      sock.close();
    }
  });
});
