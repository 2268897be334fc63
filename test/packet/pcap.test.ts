import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  LINKTYPE,
  PcapError,
  PcapWriter,
  ethernetFrame,
  ipPayloadOf,
  readPcap,
  sllFrame,
  stripLinkLayer,
} from '../../harness/packet/pcap';

/** A small IPv4/UDP packet (28 bytes, checksums irrelevant here). */
function ipv4Packet(): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x45;
  b.writeUInt16BE(28, 2);
  b[8] = 64;
  b[9] = 17;
  Buffer.from([198, 18, 0, 1]).copy(b, 12);
  Buffer.from([198, 18, 100, 1]).copy(b, 16);
  b.writeUInt16BE(4000, 20);
  b.writeUInt16BE(53, 22);
  b.writeUInt16BE(8, 24);
  return b;
}

/** A small IPv6 packet with 4 bytes of payload. */
function ipv6Packet(): Buffer {
  const b = Buffer.alloc(44);
  b[0] = 0x60;
  b.writeUInt16BE(4, 4);
  b[6] = 59;
  b[7] = 64;
  b[8] = 0x20;
  b[9] = 0x01;
  b[10] = 0x0d;
  b[11] = 0xb8;
  b[23] = 1;
  b.fill(0xab, 40);
  return b;
}

/** Rewrites a big-endian microsecond pcap as little-endian (and optionally nanosecond). */
function toLittleEndian(be: Buffer, nano = false): Buffer {
  const le = Buffer.from(be);
  le.writeUInt32LE(nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  le.writeUInt16LE(be.readUInt16BE(4), 4);
  le.writeUInt16LE(be.readUInt16BE(6), 6);
  for (const o of [8, 12, 16, 20]) le.writeUInt32LE(be.readUInt32BE(o), o);
  let off = 24;
  while (off + 16 <= be.length) {
    for (let i = 0; i < 4; i++) le.writeUInt32LE(be.readUInt32BE(off + 4 * i), off + 4 * i);
    if (nano) le.writeUInt32LE(be.readUInt32BE(off + 4) * 1000, off + 4);
    off += 16 + be.readUInt32BE(off + 8);
  }
  return le;
}

describe('packet/pcap', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-pcap-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('PcapWriter', () => {
    it('writes the classic header: magic a1b2c3d4, version 2.4, snaplen 65535, LINKTYPE_RAW', () => {
      const b = new PcapWriter().toBuffer();
      expect(b.length).to.equal(24);
      expect(b.readUInt32BE(0)).to.equal(0xa1b2c3d4);
      expect(b.readUInt16BE(4)).to.equal(2);
      expect(b.readUInt16BE(6)).to.equal(4);
      expect(b.readUInt32BE(16)).to.equal(65535);
      expect(b.readUInt32BE(20)).to.equal(101);
    });

    it('round-trips records: bytes, time stamps (number, bigint, Date), link type', async () => {
      const w = new PcapWriter();
      const a = ipv4Packet();
      const c = ipv6Packet();
      w.add({ data: a, timestampUs: 1704067200123456 });
      w.add({ data: c, timestampUs: 1704067201000001n });
      w.add({ data: a, timestampUs: new Date('2024-01-01T00:00:02.500Z'), comment: 'third' });
      expect(w.count).to.equal(3);
      const cap = await readPcap(w.toBuffer());
      expect(cap.linkType).to.equal(LINKTYPE.RAW);
      expect(cap.snaplen).to.equal(65535);
      expect(cap.nanosecond).to.equal(false);
      expect(cap.warnings).to.deep.equal([]);
      expect(cap.records.map((r) => r.timestampUs)).to.deep.equal([1704067200123456, 1704067201000001, 1704067202500000]);
      expect(cap.records[0].data.equals(a)).to.equal(true);
      expect(cap.records[1].data.equals(c)).to.equal(true);
      expect(cap.records.map((r) => r.originalLength)).to.deep.equal([28, 44, 28]);
      expect(w.describe()).to.equal('Frame 3: third');
    });

    it('spaces records without a time stamp 1 ms after the previous one, starting at startTime', async () => {
      const w = new PcapWriter({ startTime: 5_000_000 });
      w.add(ipv4Packet()).add(ipv4Packet()).add({ data: ipv4Packet(), timestampUs: 9_000_000 }).add(ipv4Packet());
      const cap = await readPcap(w.toBuffer());
      expect(cap.records.map((r) => r.timestampUs)).to.deep.equal([5_000_000, 5_001_000, 9_000_000, 9_001_000]);
    });

    it('cuts records at the snap length and keeps the length on the wire', async () => {
      const w = new PcapWriter({ snaplen: 32 });
      w.add({ data: ipv6Packet() });
      w.add({ data: ipv4Packet(), originalLength: 1500 });
      const cap = await readPcap(w.toBuffer());
      expect(cap.snaplen).to.equal(32);
      expect(cap.records[0].data.length).to.equal(32);
      expect(cap.records[0].originalLength).to.equal(44);
      expect(cap.records[1].data.length).to.equal(28);
      expect(cap.records[1].originalLength).to.equal(1500);
    });

    it('writes and reads files (async and sync)', async () => {
      const w = new PcapWriter();
      w.add({ data: ipv6Packet(), timestampUs: 1_000_000 });
      const p1 = path.join(tmp, 'a.pcap');
      const p2 = path.join(tmp, 'b.pcap');
      await w.writeFile(p1);
      w.writeFileSync(p2);
      expect(fs.readFileSync(p1).equals(fs.readFileSync(p2))).to.equal(true);
      const cap = await readPcap(p1);
      expect(cap.records).to.have.length(1);
      expect(cap.records[0].data.equals(ipv6Packet())).to.equal(true);
    });

    it('wraps IP packets in Ethernet II for LINKTYPE_ETHERNET', async () => {
      const w = new PcapWriter({ linkType: LINKTYPE.ETHERNET, srcMac: '02:aa:bb:cc:dd:01', dstMac: '02:aa:bb:cc:dd:02' });
      w.add(ipv6Packet()).add(ipv4Packet());
      const cap = await readPcap(w.toBuffer());
      expect(cap.linkType).to.equal(1);
      const f = cap.records[0].data;
      expect(f.length).to.equal(14 + 44);
      expect(f.readUInt16BE(12)).to.equal(0x86dd);
      expect(cap.records[1].data.readUInt16BE(12)).to.equal(0x0800);
      expect(ipPayloadOf(cap.records[0], cap.linkType)!.equals(ipv6Packet())).to.equal(true);
      expect(ipPayloadOf(cap.records[1], cap.linkType)!.equals(ipv4Packet())).to.equal(true);
      expect(stripLinkLayer(f, 1).description).to.equal(
        'Ethernet II, Src: 02:aa:bb:cc:dd:01, Dst: 02:aa:bb:cc:dd:02, Type: IPv6 (0x86dd)',
      );
    });

    it('passes framed bytes through with frame: false', async () => {
      const frame = ethernetFrame(ipv4Packet(), { vlan: 42 });
      const w = new PcapWriter({ linkType: LINKTYPE.ETHERNET, frame: false });
      w.add(frame);
      const cap = await readPcap(w.toBuffer());
      expect(cap.records[0].data.equals(frame)).to.equal(true);
    });
  });

  describe('readPcap', () => {
    it('reads little-endian files', async () => {
      const w = new PcapWriter({ linkType: LINKTYPE.IPV6 });
      w.add({ data: ipv6Packet(), timestampUs: 1_234_567 });
      const cap = await readPcap(toLittleEndian(w.toBuffer()));
      expect(cap.linkType).to.equal(229);
      expect(cap.records[0].timestampUs).to.equal(1_234_567);
      expect(cap.records[0].data.equals(ipv6Packet())).to.equal(true);
    });

    it('reads nanosecond files and converts the time stamps to microseconds', async () => {
      const w = new PcapWriter();
      w.add({ data: ipv4Packet(), timestampUs: 7_654_321 });
      const cap = await readPcap(toLittleEndian(w.toBuffer(), true));
      expect(cap.nanosecond).to.equal(true);
      expect(cap.records[0].timestampUs).to.equal(7_654_321);
    });

    it('reads a capture with no packets', async () => {
      const cap = await readPcap(new PcapWriter({ linkType: 1 }).toBuffer());
      expect(cap.linkType).to.equal(1);
      expect(cap.records).to.deep.equal([]);
    });

    it('warns about a record cut short at the end of the file and keeps the others', async () => {
      const w = new PcapWriter();
      w.add(ipv4Packet()).add(ipv6Packet());
      const b = w.toBuffer();
      const cap = await readPcap(b.subarray(0, b.length - 10));
      expect(cap.records).to.have.length(1);
      expect(cap.warnings.join()).to.match(/record 2 is cut short: 44 bytes announced, 34 in the file/);
    });

    it('rejects pcapng with the conversion command', async () => {
      const ng = Buffer.alloc(32);
      ng.writeUInt32BE(0x0a0d0d0a, 0);
      try {
        await readPcap(ng);
        expect.fail('should reject');
      } catch (e) {
        expect(e).to.be.instanceOf(PcapError);
        expect((e as Error).message).to.match(/pcapng/).and.match(/editcap -F pcap/);
      }
    });

    it('rejects files that are not captures, and files too short for a header', async () => {
      for (const bytes of [Buffer.from('hello, this is not a capture file at all'), Buffer.alloc(10)]) {
        try {
          await readPcap(bytes);
          expect.fail('should reject');
        } catch (e) {
          expect(e).to.be.instanceOf(PcapError);
          expect((e as Error).message).to.match(/not a capture file|too short/);
        }
      }
    });

    it('rejects a missing file with the errno error', async () => {
      try {
        await readPcap(path.join(tmp, 'missing.pcap'));
        expect.fail('should reject');
      } catch (e) {
        expect((e as NodeJS.ErrnoException).code).to.equal('ENOENT');
      }
    });

    it('reads the big-endian and Ethernet sample captures shipped with pcap-parser', async function () {
      const dir = path.join(path.dirname(require.resolve('pcap-parser/package.json')), 'test');
      const smtp = path.join(dir, 'smtp.pcap');
      if (!fs.existsSync(smtp)) this.skip();
      const cap = await readPcap(smtp);
      expect(cap.linkType).to.equal(1);
      expect(cap.records.length).to.be.greaterThan(0);
      const ips = cap.records.map((r) => ipPayloadOf(r, cap.linkType)).filter((x) => x);
      expect(ips.length).to.be.greaterThan(0);
      for (const ip of ips) expect(ip![0] >> 4).to.be.oneOf([4, 6]);
    });
  });

  describe('ipPayloadOf / stripLinkLayer', () => {
    const v4 = ipv4Packet();
    const v6 = ipv6Packet();

    it('passes raw IP through (LINKTYPE_RAW, _IPV4, _IPV6)', () => {
      for (const lt of [101, 228, 229, 12]) expect(ipPayloadOf(v6, lt)!.equals(v6)).to.equal(true);
    });

    it('strips Ethernet II with and without one 802.1Q tag', () => {
      expect(ipPayloadOf(ethernetFrame(v4), 1)!.equals(v4)).to.equal(true);
      const tagged = ethernetFrame(v6, { vlan: 100 });
      expect(tagged.readUInt16BE(12)).to.equal(0x8100);
      expect(ipPayloadOf(tagged, 1)!.equals(v6)).to.equal(true);
      expect(stripLinkLayer(tagged, 1).description).to.contain('802.1Q: VLAN 100');
    });

    it('drops Ethernet padding after the IP packet', () => {
      const padded = Buffer.concat([ethernetFrame(v4), Buffer.alloc(18)]); // 60-byte minimum frame
      expect(ipPayloadOf(padded, 1)!.equals(v4)).to.equal(true);
      const padded6 = Buffer.concat([ethernetFrame(v6), Buffer.alloc(6)]);
      expect(ipPayloadOf(padded6, 1)!.equals(v6)).to.equal(true);
    });

    it('strips Linux cooked captures v1 (113) and v2 (276)', () => {
      const sll = sllFrame(v6, { packetType: 4 });
      expect(sll.length).to.equal(16 + v6.length);
      expect(ipPayloadOf(sll, 113)!.equals(v6)).to.equal(true);
      expect(stripLinkLayer(sll, 113).description).to.contain('Sent by us (4)').and.contain('IPv6 (0x86dd)');
      const sll2 = Buffer.concat([Buffer.from('0800000000000003000100060200000000010000', 'hex'), v4]);
      expect(ipPayloadOf(sll2, 276)!.equals(v4)).to.equal(true);
      expect(stripLinkLayer(sll2, 276).description).to.contain('Interface index: 3');
    });

    it('strips BSD loopback headers in either byte order', () => {
      const le = Buffer.concat([Buffer.from([30, 0, 0, 0]), v6]);
      const be = Buffer.concat([Buffer.from([0, 0, 0, 2]), v4]);
      expect(ipPayloadOf(le, 0)!.equals(v6)).to.equal(true);
      expect(ipPayloadOf(be, 0)!.equals(v4)).to.equal(true);
    });

    it('returns undefined with a reason for non-IP frames, short frames and unknown link types', () => {
      const arp = ethernetFrame(Buffer.alloc(28), { etherType: 0x0806 });
      expect(ipPayloadOf(arp, 1)).to.equal(undefined);
      expect(stripLinkLayer(arp, 1).problem).to.match(/ARP \(0x0806\)/);
      expect(ipPayloadOf(Buffer.alloc(5), 1)).to.equal(undefined);
      expect(stripLinkLayer(Buffer.alloc(5), 113).problem).to.match(/cut short/);
      expect(stripLinkLayer(v4, 147).problem).to.match(/unsupported link type 147/);
    });
  });
});
