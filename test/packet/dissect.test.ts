import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dissectCommand } from '../../bin/commands/dissect';
import { buildDemo, demoFrames, demoPath } from '../../fixtures/pcap/make-demo';
import { decode, encode } from '../../harness/packet/codec';
import { dissect, hexDump, icmpCodeName, summary } from '../../harness/packet/dissect';
import { LINKTYPE, PcapWriter, ethernetFrame, readPcap } from '../../harness/packet/pcap';
import { Packet } from '../../harness/packet/types';

function lines(text: string): string[] {
  return text.split('\n');
}

/** The line that starts (after indentation) with `prefix`; fails when there is none. */
function line(text: string, prefix: string): string {
  const l = lines(text).find((x) => x.trimStart().startsWith(prefix));
  if (l === undefined) expect.fail(`no line starting with "${prefix}" in:\n${text}`);
  return l.trim();
}

function indentOf(text: string, prefix: string): number {
  const l = lines(text).find((x) => x.trimStart().startsWith(prefix));
  return l === undefined ? -1 : l.length - l.trimStart().length;
}

const udp6: Packet = {
  ipv6: { src: '2001:db8::1', dst: '64:ff9b::c633:6401', flowLabel: 0x12345, trafficClass: 0, hopLimit: 64 },
  udp: { sport: 4000, dport: 53 },
  payload: Buffer.from('0123456789ab'),
};

const synAck4: Packet = {
  ipv4: { src: '198.18.0.1', dst: '198.18.100.1', df: true, id: 0x1234, ttl: 64, tos: 0xb8 },
  tcp: {
    sport: 80,
    dport: 61001,
    seq: 5000,
    ack: 1001,
    flags: { syn: true, ack: true },
    window: 65535,
    options: [
      { kind: 2, data: Buffer.from([0x05, 0xb4]) },
      { kind: 1 },
      { kind: 3, data: Buffer.from([7]) },
      { kind: 4, data: Buffer.alloc(0) },
      { kind: 8, data: Buffer.from('0000000100000002', 'hex') },
      { kind: 0 },
      { kind: 0 },
    ],
  },
};

function icmp4Error(type: number, code: number, extra: Record<string, unknown> = {}): Packet {
  return {
    ipv4: { src: '198.18.200.1', dst: '198.18.0.1', ttl: 64 },
    icmpv4: {
      type,
      code,
      ...extra,
      quote: {
        ipv4: { src: '198.18.0.1', dst: '198.18.100.1', ttl: 1, id: 7 },
        udp: { sport: 61000, dport: 53 },
        payload: Buffer.from('quoted!!'),
      },
    },
  };
}

function icmp6Error(type: number, code: number, extra: Record<string, unknown> = {}): Packet {
  return {
    ipv6: { src: '2001:db8:64::c612:c801', dst: '2001:db8::10', hopLimit: 63 },
    icmpv6: {
      type,
      code,
      ...extra,
      quote: {
        ipv6: { src: '2001:db8::10', dst: '2001:db8:64::c612:6401', hopLimit: 1 },
        tcp: { sport: 40001, dport: 80, seq: 1, flags: { ack: true }, ack: 2 },
        payload: Buffer.alloc(40, 0x61),
      },
    },
  };
}

/** A seeded generator, so that a fuzz failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

describe('packet/dissect', () => {
  describe('IPv6 and UDP', () => {
    const text = dissect(encode(udp6));
    it('titles the layer with source and destination', () => {
      expect(lines(text)[0]).to.equal('Internet Protocol Version 6, Src: 2001:db8::1, Dst: 64:ff9b::c633:6401');
    });
    it('prints the fixed-header fields with decodings', () => {
      expect(line(text, 'Version:')).to.equal('Version: 6');
      expect(line(text, 'Traffic Class:')).to.equal('Traffic Class: 0x00 (DSCP 0, ECN 0)');
      expect(line(text, 'Flow Label:')).to.equal('Flow Label: 0x12345');
      expect(line(text, 'Payload Length:')).to.equal('Payload Length: 20');
      expect(line(text, 'Next Header:')).to.equal('Next Header: UDP (17)');
      expect(line(text, 'Hop Limit:')).to.equal('Hop Limit: 64');
      expect(line(text, 'Source Address:')).to.equal('Source Address: 2001:db8::1');
    });
    it('shows the IPv4 address embedded under the well-known prefix, and under configured prefixes', () => {
      expect(line(text, 'Destination Address:')).to.equal(
        'Destination Address: 64:ff9b::c633:6401 (IPv4-embedded 198.51.100.1 under 64:ff9b::/96)',
      );
      const p = { ...udp6, ipv6: { ...udp6.ipv6!, dst: '2001:db8:64::c612:6401' } };
      expect(line(dissect(encode(p)), 'Destination Address:')).to.equal('Destination Address: 2001:db8:64::c612:6401');
      const withNsp = dissect(encode(p), { nat64Prefixes: ['2001:db8:64::/96'] });
      expect(line(withNsp, 'Destination Address:')).to.contain('IPv4-embedded 198.18.100.1 under 2001:db8:64::/96');
      const at48 = dissect(encode({ ...p, ipv6: { ...p.ipv6, dst: '2001:db8:100:c612:64:100::' } }), {
        nat64Prefixes: ['2001:db8:100::/48'],
      });
      expect(line(at48, 'Destination Address:')).to.contain('IPv4-embedded 198.18.100.1');
    });
    it('prints UDP with port names and a verified checksum', () => {
      expect(text).to.contain('\nUser Datagram Protocol, Src Port: 4000, Dst Port: 53\n');
      expect(line(text, 'Source Port:')).to.equal('Source Port: 4000');
      expect(line(text, 'Destination Port:')).to.equal('Destination Port: 53 (domain)');
      expect(line(text, 'Length:')).to.equal('Length: 20');
      expect(line(text, 'Checksum:')).to.match(/^Checksum: 0x[0-9a-f]{4} \[correct\]$/);
    });
    it('flags a wrong UDP checksum with the right value, and a zero one in IPv6', () => {
      const good = decode(encode(udp6)).udp!.checksum!;
      const bad = dissect(encode({ ...udp6, udp: { ...udp6.udp!, checksum: good ^ 0x0101 } }));
      expect(line(bad, 'Checksum:')).to.equal(
        `Checksum: 0x${(good ^ 0x0101).toString(16).padStart(4, '0')} [incorrect, should be 0x${good.toString(16).padStart(4, '0')}]`,
      );
      const zero = dissect(encode({ ...udp6, udp: { ...udp6.udp!, checksum: 0 } }));
      expect(line(zero, 'Checksum:')).to.match(/^Checksum: 0x0000 \[incorrect: zero checksum is not allowed in IPv6/);
    });
    it('accepts a zero UDP checksum in IPv4 as "none"', () => {
      const p: Packet = { ipv4: { src: '198.18.0.1', dst: '198.18.0.2' }, udp: { sport: 1, dport: 2, checksum: 0 } };
      expect(line(dissect(encode(p)), 'Checksum: 0x0000')).to.contain('[none');
    });
  });

  describe('IPv4 and TCP', () => {
    const text = dissect(encode(synAck4));
    it('prints the IPv4 header fields', () => {
      expect(lines(text)[0]).to.equal('Internet Protocol Version 4, Src: 198.18.0.1, Dst: 198.18.100.1');
      expect(line(text, 'Header Length:')).to.equal('Header Length: 20 bytes (5)');
      expect(line(text, 'Type of Service:')).to.equal('Type of Service: 0xb8 (DSCP 46, ECN 0)');
      expect(line(text, 'Differentiated Services Codepoint:')).to.equal('Differentiated Services Codepoint: EF (46)');
      expect(line(text, 'Identification:')).to.equal('Identification: 0x1234 (4660)');
      expect(line(text, 'Flags: 0x2')).to.equal("Flags: 0x2 (Don't fragment)");
      expect(line(text, ".1.. = Don't fragment:")).to.equal(".1.. = Don't fragment: Set");
      expect(line(text, 'Fragment Offset:')).to.equal('Fragment Offset: 0 (0 bytes)');
      expect(line(text, 'Time to Live:')).to.equal('Time to Live: 64');
      expect(line(text, 'Protocol:')).to.equal('Protocol: TCP (6)');
      expect(line(text, 'Header Checksum:')).to.match(/^Header Checksum: 0x[0-9a-f]{4} \[correct\]$/);
    });
    it('flags a wrong header checksum with the value it should have', () => {
      const good = decode(encode(synAck4)).ipv4!.checksum!;
      const text2 = dissect(encode({ ...synAck4, ipv4: { ...synAck4.ipv4!, checksum: 0x1a2b } }));
      expect(line(text2, 'Header Checksum:')).to.equal(
        `Header Checksum: 0x1a2b [incorrect, should be 0x${good.toString(16).padStart(4, '0')}]`,
      );
    });
    it('shows fragments with offset in bytes and the MF flag', () => {
      const frag: Packet = {
        ipv4: { src: '198.18.0.1', dst: '198.18.0.2', mf: true, fragOffset: 185, id: 9, protocol: 17 },
        payload: Buffer.alloc(16),
      };
      const t = dissect(encode(frag));
      expect(line(t, 'Flags:')).to.equal('Flags: 0x1 (More fragments)');
      expect(line(t, 'Fragment Offset:')).to.equal('Fragment Offset: 185 (1480 bytes)');
      expect(summary(encode(frag))).to.contain('frag off=1480 MF id=0x0009');
    });
    it('prints IPv4 options', () => {
      const p: Packet = {
        ipv4: { src: '198.18.0.1', dst: '198.18.0.2', options: [{ type: 148, data: Buffer.from([0, 0]) }] },
        udp: { sport: 1, dport: 2 },
      };
      const t = dissect(encode(p));
      expect(line(t, 'Options:')).to.equal('Options: (4 bytes)');
      expect(line(t, 'Option: Router Alert')).to.equal('Option: Router Alert (148), length 4: 0 (router shall examine packet)');
    });
    it('prints TCP with flags as [SYN, ACK] and decoded options', () => {
      expect(text).to.contain('\nTransmission Control Protocol, Src Port: 80, Dst Port: 61001, Seq: 5000, Ack: 1001, Len: 0\n');
      expect(line(text, 'Sequence Number:')).to.equal('Sequence Number: 5000');
      expect(line(text, 'Acknowledgment Number:')).to.equal('Acknowledgment Number: 1001');
      expect(line(text, 'Header Length: 4')).to.equal('Header Length: 44 bytes (11)');
      expect(line(text, 'Flags: 0x0')).to.equal('Flags: 0x012 [SYN, ACK]');
      expect(line(text, 'Window:')).to.equal('Window: 65535');
      expect(line(text, 'Checksum:')).to.match(/\[correct\]$/);
      expect(line(text, 'Options:')).to.equal('Options: (24 bytes)');
      expect(line(text, 'Option: Maximum segment size')).to.equal('Option: Maximum segment size (2), length 4: 1460 bytes');
      expect(line(text, 'Option: Window scale')).to.equal('Option: Window scale (3), length 3: 7 (multiply by 128)');
      expect(line(text, 'Option: SACK permitted')).to.equal('Option: SACK permitted (4), length 2');
      expect(line(text, 'Option: Timestamps')).to.equal('Option: Timestamps (8), length 10: TSval 1, TSecr 2');
      expect(line(text, 'Option: No-Operation')).to.equal('Option: No-Operation (1)');
      expect(line(text, 'Option: End of Option List')).to.equal('Option: End of Option List (0)');
      expect(line(text, 'Padding:')).to.equal('Padding: 3 bytes');
    });
    it('summarises TCP with flags and MSS', () => {
      expect(summary(encode(synAck4))).to.equal(
        'IPv4 198.18.0.1 → 198.18.100.1 TCP 80 → 61001 [SYN, ACK] seq=5000 ack=1001 len=0 mss=1460',
      );
    });
  });

  describe('ICMP', () => {
    it('names every ICMPv4 Destination Unreachable code 0-15 and ICMPv6 codes 0-6', () => {
      for (let c = 0; c <= 15; c++) expect(icmpCodeName(4, 3, c), `v4 code ${c}`).to.be.a('string');
      for (let c = 0; c <= 6; c++) expect(icmpCodeName(6, 1, c), `v6 code ${c}`).to.be.a('string');
      expect(icmpCodeName(4, 3, 13)).to.equal('Communication administratively prohibited');
      expect(icmpCodeName(6, 1, 1)).to.equal('Communication with destination administratively prohibited');
      expect(icmpCodeName(4, 12, 2)).to.equal('Bad length');
      expect(icmpCodeName(6, 4, 1)).to.equal('Unrecognized Next Header type encountered');
      expect(icmpCodeName(6, 4, 2)).to.equal('Unrecognized IPv6 option encountered');
    });

    it('prints ICMPv6 echo with identifier and sequence number', () => {
      const t = dissect(
        encode({
          ipv6: { src: '2001:db8::10', dst: '64:ff9b::c612:6401' },
          icmpv6: { type: 128, code: 0, id: 0x1234, seq: 7 },
          payload: Buffer.from('ping'),
        }),
      );
      expect(t).to.contain('\nInternet Control Message Protocol v6, Type: Echo Request (128), Code: 0\n');
      expect(line(t, 'Type:')).to.equal('Type: Echo Request (128)');
      expect(line(t, 'Checksum:')).to.match(/\[correct\]$/);
      expect(line(t, 'Identifier:')).to.equal('Identifier: 0x1234 (4660)');
      expect(line(t, 'Sequence Number:')).to.equal('Sequence Number: 7 (0x0007)');
      expect(line(t, 'Data (')).to.equal('Data (4 bytes)');
    });

    it('prints ICMPv4 time exceeded with the quoted packet dissected and indented under it', () => {
      const t = dissect(encode(icmp4Error(11, 0)));
      expect(t).to.contain('\nInternet Control Message Protocol, Type: Time Exceeded (11), Code: TTL exceeded in transit (0)\n');
      expect(line(t, 'Code:')).to.equal('Code: TTL exceeded in transit (0)');
      expect(line(t, 'Checksum:')).to.match(/\[correct\]$/);
      expect(indentOf(t, 'Quoted Packet')).to.equal(4);
      expect(indentOf(t, 'Internet Protocol Version 4, Src: 198.18.0.1')).to.equal(8);
      expect(indentOf(t, 'User Datagram Protocol, Src Port: 61000')).to.equal(8);
      expect(indentOf(t, 'Time to Live: 1')).to.equal(12);
      const quoted = lines(t).filter((l) => l.startsWith('            Checksum:') || l.startsWith('            Header Checksum:'));
      expect(quoted).to.have.length(2);
      for (const q of quoted) expect(q).to.match(/\[correct\]$/);
      expect(summary(encode(icmp4Error(11, 0)))).to.equal(
        'IPv4 198.18.200.1 → 198.18.0.1 ICMPv4 Time Exceeded: TTL exceeded in transit [quote: IPv4 198.18.0.1 → 198.18.100.1 UDP 61000 → 53 len=8]',
      );
    });

    it('prints the next-hop MTU, PTB MTU, pointers, gateways and the types RFC 7915 translates or drops', () => {
      const fragNeeded = dissect(encode(icmp4Error(3, 4, { mtu: 1260 })));
      expect(line(fragNeeded, 'Code:')).to.equal('Code: Fragmentation needed and DF set (4)');
      expect(line(fragNeeded, 'Next-Hop MTU:')).to.equal('Next-Hop MTU: 1260');
      const ptb = dissect(encode(icmp6Error(2, 0, { mtu: 1280 })));
      expect(line(ptb, 'Type:')).to.equal('Type: Packet Too Big (2)');
      expect(line(ptb, 'MTU:')).to.equal('MTU: 1280');
      const pp6 = dissect(encode(icmp6Error(4, 0, { pointer: 6 })));
      expect(line(pp6, 'Code:')).to.equal('Code: Erroneous header field encountered (0)');
      expect(line(pp6, 'Pointer:')).to.equal('Pointer: 6 (Next Header)');
      const pp4 = dissect(encode(icmp4Error(12, 0, { pointer: 9 })));
      expect(line(pp4, 'Pointer:')).to.equal('Pointer: 9 (Protocol)');
      const redirect = dissect(encode(icmp4Error(5, 1, { gateway: '198.18.0.254' })));
      expect(line(redirect, 'Type:')).to.equal('Type: Redirect (5)');
      expect(line(redirect, 'Code:')).to.equal('Code: Redirect for host (1)');
      expect(line(redirect, 'Gateway Address:')).to.equal('Gateway Address: 198.18.0.254');
      expect(line(dissect(encode(icmp4Error(4, 0))), 'Type:')).to.equal('Type: Source Quench (4)');
      const te6 = dissect(encode(icmp6Error(3, 1)));
      expect(line(te6, 'Code:')).to.equal('Code: Fragment reassembly time exceeded (1)');
      const du6 = dissect(encode(icmp6Error(1, 4)));
      expect(line(du6, 'Code:')).to.equal('Code: Port unreachable (4)');
      expect(line(du6, 'Transmission Control Protocol')).to.contain('Src Port: 40001');
      const unknownCode = dissect(encode(icmp4Error(3, 77)));
      expect(line(unknownCode, 'Code:')).to.equal('Code: 77 (unknown for Destination Unreachable)');
      for (const [type, name] of [
        [13, 'Timestamp'],
        [15, 'Information Request'],
        [17, 'Address Mask Request'],
        [9, 'Router Advertisement'],
        [10, 'Router Solicitation'],
        [6, 'Alternate Host Address'],
      ] as const) {
        const t = dissect(encode({ ipv4: { src: '198.18.0.1', dst: '198.18.0.2' }, icmpv4: { type, code: 0 } }));
        expect(line(t, 'Type:')).to.equal(`Type: ${name} (${type})`);
      }
      for (const [type, name] of [
        [130, 'Multicast Listener Query'],
        [135, 'Neighbor Solicitation'],
        [137, 'Redirect'],
        [129, 'Echo Reply'],
      ] as const) {
        const t = dissect(encode({ ipv6: { src: 'fe80::1', dst: 'ff02::1' }, icmpv6: { type, code: 0 } }));
        expect(line(t, 'Type:')).to.equal(`Type: ${name} (${type})`);
      }
    });

    it('prints the RFC 4884 length, the quote padding and extension objects', () => {
      const p = icmp4Error(11, 0, {
        extensions: { objects: [{ classNum: 1, cType: 1, data: Buffer.from([0x03, 0xe8, 0x11, 0x01]) }] },
      });
      const t = dissect(encode(p));
      expect(line(t, 'Length:')).to.equal('Length: 32 (original datagram: 128 bytes, RFC 4884)');
      expect(line(t, 'Trailer (')).to.equal('Trailer (92 bytes, all zero): padding of the quote');
      expect(line(t, 'ICMP Multi-Part Extensions')).to.equal('ICMP Multi-Part Extensions (RFC 4884)');
      expect(line(t, 'Version: 2')).to.equal('Version: 2');
      expect(lines(t).filter((l) => l.trim().startsWith('Checksum:')).pop()!.trim()).to.match(/^Checksum: 0x[0-9a-f]{4} \[correct\]$/);
      expect(line(t, 'MPLS Label Stack Object')).to.equal('MPLS Label Stack Object (class 1, c-type 1), length 8');
      expect(line(t, 'MPLS Label:')).to.equal('MPLS Label: 16001, Traffic Class: 0, Bottom of Stack: 1, TTL: 1');
      const bad = dissect(encode({ ...p, icmpv4: { ...p.icmpv4!, extensions: { ...p.icmpv4!.extensions!, checksum: 0x1111 } } }));
      expect(lines(bad).find((l) => l.includes('Checksum: 0x1111'))).to.contain('[incorrect, should be 0x');
    });
  });

  describe('IPv6 extension headers', () => {
    const p: Packet = {
      ipv6: {
        src: '2001:db8::1',
        dst: '2001:db8::2',
        extensions: [
          { kind: 'hop-by-hop', options: [{ type: 5, data: Buffer.from([0, 0]) }] },
          { kind: 'destination', options: [{ type: 0x3e, data: Buffer.from([1, 2, 3, 4]) }] },
          {
            kind: 'routing',
            routingType: 4,
            segmentsLeft: 0,
            data: Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.from('20010db8000000000000000000000002', 'hex')]),
          },
          { kind: 'fragment', offset: 0, m: true, id: 0x12345678 },
        ],
      },
      udp: { sport: 1, dport: 2 },
      payload: Buffer.alloc(8),
    };
    const t = dissect(encode(p));
    it('prints each extension header as its own block under IPv6', () => {
      expect(line(t, 'Next Header:')).to.equal('Next Header: IPv6 Hop-by-Hop Option (0)');
      expect(indentOf(t, 'IPv6 Hop-by-Hop Options')).to.equal(4);
      expect(line(t, 'Option: Router Alert')).to.equal('Option: Router Alert (0x05), length 2: MLD (0)');
      expect(indentOf(t, 'IPv6 Destination Options')).to.equal(4);
      expect(line(t, 'Option: Unknown (0x3e)')).to.equal('Option: Unknown (0x3e), length 4: 01020304 [unrecognised: skip]');
      expect(line(t, 'IPv6 Routing Header')).to.equal('IPv6 Routing Header, Type: Segment Routing, Segments Left: 0');
      expect(line(t, 'Segment[0]:')).to.equal('Segment[0]: 2001:db8::2');
      expect(line(t, 'IPv6 Fragment Header')).to.equal('IPv6 Fragment Header, Offset: 0, M: 1, Id: 0x12345678');
      expect(line(t, 'More Fragments:')).to.equal('More Fragments: Yes');
      expect(line(t, 'Identification:')).to.equal('Identification: 0x12345678 (305419896)');
      expect(summary(encode(p))).to.contain('frag off=0 M id=0x12345678');
    });
  });

  describe('payload, DNS and notes', () => {
    it('hex-dumps the payload up to the limit and counts the rest', () => {
      const p: Packet = { ...udp6, payload: Buffer.alloc(300, 0x41) };
      const t = dissect(encode(p));
      expect(line(t, 'Data (')).to.equal('Data (300 bytes)');
      expect(line(t, '0000 ')).to.equal('0000  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA');
      expect(line(t, '… ')).to.equal('… 44 more bytes');
      expect(line(dissect(encode(p), { payloadLimit: 16 }), '… ')).to.equal('… 284 more bytes');
      expect(hexDump(Buffer.from('hi'))).to.deep.equal(['0000  68 69                                             hi']);
    });

    it('decodes DNS payloads to or from port 53', () => {
      const q = Buffer.from('6464010000010000000000000869707634' + '6f6e6c7904617270610000' + '1c0001', 'hex');
      const t = dissect(encode({ ...udp6, payload: q }));
      expect(line(t, 'Domain Name System')).to.equal('Domain Name System (query)');
      expect(line(t, 'Query:')).to.equal('Query: ipv4only.arpa AAAA IN');
    });

    it('turns decode notes into [Malformed: …] lines instead of failing', () => {
      const bytes = encode(synAck4);
      const t = dissect(bytes.subarray(0, 30));
      expect(t).to.contain('    [Malformed: ipv4: totalLength 64 > 30 bytes present');
      expect(t).to.contain('\n[Malformed: tcp: header cut short (10 of 20 bytes)]');
      expect(dissect(Buffer.alloc(0))).to.match(/\[Malformed: .*not an IP packet/);
      expect(dissect(Buffer.from('deadbeef', 'hex'))).to.contain('[Malformed: ');
    });

    it('shows quotes cut short as [Truncated: …]', () => {
      const demoPtb = demoFrames()[9].packet;
      const t = dissect(encode(demoPtb));
      expect(t).to.contain('[Truncated: ipv6: payloadLength 1380 > 528 bytes present');
      expect(t).not.to.contain('[Malformed');
    });

    it('never throws on truncated, mutated or random bytes', () => {
      const r = rng(6052);
      const seeds = [encode(udp6), encode(synAck4), encode(icmp4Error(11, 0)), encode(icmp6Error(2, 0, { mtu: 1280 }))];
      seeds.push(...demoFrames().map((f) => encode(f.packet)));
      let count = 0;
      for (const s of seeds) {
        for (let n = 0; n <= s.length; n += Math.max(1, Math.floor(s.length / 40))) {
          expect(() => dissect(s.subarray(0, n))).not.to.throw();
          expect(summary(s.subarray(0, n))).to.be.a('string');
          count++;
        }
        for (let i = 0; i < 100; i++) {
          const m = Buffer.from(s);
          for (let k = 0; k < 4; k++) m[Math.floor(r() * m.length)] = Math.floor(r() * 256);
          const t = dissect(m);
          expect(t).to.be.a('string').and.not.equal('');
          expect(summary(m)).to.be.a('string');
          count++;
        }
      }
      for (let i = 0; i < 500; i++) {
        const b = Buffer.alloc(Math.floor(r() * 120));
        for (let k = 0; k < b.length; k++) b[k] = Math.floor(r() * 256);
        if (b.length) b[0] = (r() < 0.5 ? 0x40 : 0x60) | (b[0] & 0x0f);
        expect(() => dissect(b)).not.to.throw();
        expect(() => summary(b)).not.to.throw();
        count++;
      }
      expect(count).to.be.greaterThan(1000);
    });

    it('copes with hand-built packets that leave computed fields out, and with odd objects', () => {
      const t = dissect({ ipv4: { src: '198.18.0.1', dst: '198.18.0.2' }, udp: { sport: 1, dport: 2 } });
      expect(line(t, 'Header Checksum:')).to.equal('Header Checksum: (unset: computed by encode)');
      expect(line(t, 'Total Length:')).to.equal('Total Length: (unset)');
      const odd = [
        {},
        { icmpv6: { type: 1 } },
        { ipv6: { src: 'not-an-address', dst: '' }, tcp: { sport: 1, dport: 2, options: [{ kind: 2 }] } },
        { ipv4: { src: '1.2.3.4', dst: '5.6.7.8' }, icmpv4: { type: 3, quote: { notes: ['x'] } } },
        { ipv6: { src: '::', dst: '::', extensions: [{ kind: 'bogus' }] } },
      ] as unknown as Packet[];
      for (const p of odd) {
        expect(() => dissect(p)).not.to.throw();
        expect(() => summary(p)).not.to.throw();
      }
    });

    it('summarises in one line', () => {
      expect(summary(encode(udp6))).to.equal('IPv6 2001:db8::1 → 64:ff9b::c633:6401 UDP 4000 → 53 len=12');
      expect(summary(udp6)).to.equal('IPv6 2001:db8::1 → 64:ff9b::c633:6401 UDP 4000 → 53 len=12');
      expect(summary(encode(synAck4).subarray(0, 30))).to.match(/^IPv4 198\.18\.0\.1 → 198\.18\.100\.1 .*\[malformed: ipv4: /);
      expect(summary(encode(synAck4)).includes('\n')).to.equal(false);
    });
  });

  describe('fixtures/pcap/demo.pcap', () => {
    it('is what make-demo.ts builds (regenerate: node dist/fixtures/pcap/make-demo.js)', () => {
      const file = demoPath();
      expect(fs.existsSync(file), `${file} missing`).to.equal(true);
      expect(fs.readFileSync(file).equals(buildDemo())).to.equal(true);
    });

    it('holds the NAT64 demo packets, each well formed', async () => {
      const cap = await readPcap(demoPath());
      expect(cap.linkType).to.equal(LINKTYPE.RAW);
      expect(cap.records).to.have.length(10);
      const sums = cap.records.map((r) => summary(r.data));
      expect(sums[0]).to.equal('IPv6 2001:db8::10 → 2001:db8:64::c612:6401 UDP 40000 → 53 len=31');
      expect(sums[1]).to.equal('IPv4 198.18.0.1 → 198.18.100.1 UDP 61000 → 53 len=31');
      expect(sums[2]).to.contain('TCP 40001 → 80 [SYN]').and.contain('mss=1440');
      expect(sums[3]).to.contain('IPv4 198.18.0.1 → 198.18.100.1 TCP 61001 → 80 [SYN]').and.contain('mss=1440');
      expect(sums[4]).to.contain('ICMPv6 Echo Request');
      expect(sums[6]).to.contain('ICMPv4 Time Exceeded').and.contain('[quote: IPv4 198.18.0.1 → 198.18.100.1 UDP');
      expect(sums[9]).to.contain('ICMPv6 Packet Too Big mtu=1280 [quote: IPv6');
      for (const r of cap.records) {
        const p = decode(r.data);
        expect(p.notes, summary(p)).to.equal(undefined);
        const t = dissect(r.data);
        expect(t).not.to.contain('[incorrect');
        expect(t).not.to.contain('[Malformed');
      }
    });
  });

  describe('nat64lab dissect (CLI)', () => {
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-dissect-'));
    });
    after(() => {
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
      const o: string[] = [];
      const e: string[] = [];
      const ow = process.stdout.write;
      const ew = process.stderr.write;
      process.stdout.write = ((s: string | Uint8Array) => (o.push(String(s)), true)) as typeof process.stdout.write;
      process.stderr.write = ((s: string | Uint8Array) => (e.push(String(s)), true)) as typeof process.stderr.write;
      let code: number;
      try {
        code = await dissectCommand(args);
      } finally {
        process.stdout.write = ow;
        process.stderr.write = ew;
      }
      return { code, out: o.join(''), err: e.join('') };
    }

    function expectOneLine(err: string, ...mustContain: string[]): void {
      expect(err.endsWith('\n'), err).to.equal(true);
      expect(err.trimEnd().split('\n'), err).to.have.length(1);
      expect(err).to.match(/^nat64lab dissect: /);
      expect(err).not.to.match(/\n\s+at /);
      for (const m of mustContain) expect(err).to.contain(m);
    }

    it('returns 2 with one line when the argument is missing', async () => {
      const r = await run([]);
      expect(r.code).to.equal(2);
      expectOneLine(r.err, 'missing argument', 'capture file', 'hex');
      expect(r.out).to.equal('');
    });

    it('returns 2 naming a file that does not exist', async () => {
      const f = path.join(tmp, 'nope.pcap');
      const r = await run([f]);
      expect(r.code).to.equal(2);
      expectOneLine(r.err, f, 'no such file');
    });

    it('returns 2 for a file that is not a pcap, and for pcapng with the conversion command', async () => {
      const txt = path.join(tmp, 'notes.txt');
      fs.writeFileSync(txt, 'these are not the packets you are looking for\n');
      const r = await run([txt]);
      expect(r.code).to.equal(2);
      expectOneLine(r.err, txt, 'not a capture file');
      const ng = path.join(tmp, 'cap.pcapng');
      const b = Buffer.alloc(64);
      b.writeUInt32BE(0x0a0d0d0a, 0);
      fs.writeFileSync(ng, b);
      const r2 = await run([ng]);
      expect(r2.code).to.equal(2);
      expectOneLine(r2.err, ng, 'pcapng', 'editcap -F pcap');
    });

    it('returns 2 for bad hex, odd hex, a directory and unknown options', async () => {
      for (const [args, want] of [
        [['60zz00'], "bad character 'z'"],
        [['600'], 'odd number'],
        [[tmp], 'is a directory'],
        [['--frobnicate', 'x'], "unknown option '--frobnicate'"],
        [['--prefix', '10.0.0.0/8', '6000'], '--prefix'],
        [['--payload-limit'], '--payload-limit needs a number'],
      ] as [string[], string][]) {
        const r = await run(args);
        expect(r.code, args.join(' ')).to.equal(2);
        expectOneLine(r.err, want);
      }
    });

    it('dissects one packet given as hex with spaces or colons, possibly split over arguments', async () => {
      const hex = encode(udp6).toString('hex');
      const spaced = hex.replace(/(..)/g, '$1 ').trim();
      const coloned = hex.replace(/(..)(?!$)/g, '$1:');
      for (const args of [[hex], [spaced], [coloned], spaced.split(' ')]) {
        const r = await run(args);
        expect(r.code).to.equal(0);
        expect(r.err).to.equal('');
        expect(r.out).to.contain('Internet Protocol Version 6, Src: 2001:db8::1, Dst: 64:ff9b::c633:6401');
        expect(r.out).to.contain('User Datagram Protocol, Src Port: 4000, Dst Port: 53');
      }
      const s = await run(['--summary', hex]);
      expect(s.out).to.equal('IPv6 2001:db8::1 → 64:ff9b::c633:6401 UDP 4000 → 53 len=12\n');
    });

    it('dissects every frame of a capture with a frame header', async () => {
      const r = await run([demoPath()]);
      expect(r.code).to.equal(0);
      expect(r.err).to.equal('');
      expect(r.out).to.match(/^Frame 1: 79 bytes, 2024-01-01 00:00:00\.000000 UTC \(\+0\.000000 s\), Raw IP\n/);
      expect(r.out).to.contain('\nFrame 10: 616 bytes, 2024-01-01 00:00:00.040050 UTC');
      expect(r.out).to.contain('Type: Packet Too Big (2)');
      const withPrefix = await run(['--prefix', '2001:db8:64::/96', demoPath()]);
      expect(withPrefix.out).to.contain('IPv4-embedded 198.18.100.1 under 2001:db8:64::/96');
    });

    it('prints one summary line per frame with --summary', async () => {
      const r = await run(['--summary', demoPath()]);
      expect(r.code).to.equal(0);
      const ls = r.out.trimEnd().split('\n');
      expect(ls).to.have.length(10);
      expect(ls[0]).to.match(/^ 1    0\.000000 IPv6 2001:db8::10 → 2001:db8:64::c612:6401 UDP 40000 → 53 len=31$/);
    });

    it('strips Ethernet, reports non-IP frames, and warns about a cut-short file', async () => {
      const w = new PcapWriter({ linkType: LINKTYPE.ETHERNET, frame: false, startTime: 0 });
      w.add(ethernetFrame(encode(udp6), { vlan: 7 }));
      w.add(ethernetFrame(Buffer.alloc(28), { etherType: 0x0806 }));
      const f = path.join(tmp, 'eth.pcap');
      w.writeFileSync(f);
      const r = await run([f]);
      expect(r.code).to.equal(0);
      expect(r.out).to.contain('Ethernet II, Src: 02:00:00:00:00:01, Dst: 02:00:00:00:00:02, 802.1Q: VLAN 7, Type: IPv6 (0x86dd)');
      expect(r.out).to.contain('Internet Protocol Version 6, Src: 2001:db8::1');
      expect(r.out).to.contain('[Not dissected: not an IP packet: EtherType ARP (0x0806)]');
      const cut = path.join(tmp, 'cut.pcap');
      const b = w.toBuffer();
      fs.writeFileSync(cut, b.subarray(0, b.length - 5));
      const r2 = await run(['--summary', cut]);
      expect(r2.code).to.equal(0);
      expect(r2.out.trimEnd().split('\n')).to.have.length(1);
      expectOneLine(r2.err, 'warning', cut, 'record 2 is cut short');
    });
  });
});
