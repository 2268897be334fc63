/**
 * ICMP errors and the NAT64's state: errors are translated with the
 * mapping they quote but never create, refresh or delete BIB or session
 * entries (RFC 6146 §3.5, RFC 4787 REQ-12, RFC 5382 REQ-10); errors that
 * match no mapping are dropped (RFC 5508 REQ-4/REQ-5); errors from on-path
 * routers are not filtered like packets (RFC 4787 REQ-12a).
 */
import { LAB } from '../../harness/lab/addressing';
import { T } from '../../harness/packet/compare';
import { encode } from '../../harness/packet/codec';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, CaseDef, Seen } from '../../harness/runner/case';
import { only, tcpSyn6, udpReply4, v6 } from '../lib/flows';
import { C6, Flow, R4, S4, SUITE, err4, err6, expectNothing, openBoth, openOut, openUdp, quote4, quote6, setupFailed, whatCameOut } from './lib';

/** Whether a datagram from the flow's server to (T,t) still reaches the client's (X',x). */
async function stillMapped(t: CaseContext, f: Flow, label: string): Promise<{ ok: boolean; detail: string; seen?: Seen }> {
  const ex = await t.send(4, udpReply4(f.out, Buffer.from(label)));
  const p = only(ex.out6);
  const ok = !!p && p.packet.ipv6?.dst === f.client && p.packet.udp?.dport === f.sport;
  return { ok, detail: whatCameOut(ex), seen: p };
}

const mappingCases: CaseDef[] = [
  {
    id: 'errors-keep-udp-mapping',
    suite: SUITE,
    title: 'ICMPv4 3/3 and 3/1 about a UDP mapping reach the client, and the mapping still carries traffic both ways afterwards',
    requirements: ['4787-9-req12b-dest-unreach', '4787-9-req12-icmp-keep-mapping'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      for (const [code, from, to] of [[3, S4, 4], [1, R4, 0]] as const) {
        const ex = await t.send(4, err4(f, { type: 3, code }, quote4(f), from));
        t.expectPacket('4787-9-req12b-dest-unreach', `ICMPv4 3/${code} from ${from} is passed to the client as ICMPv6 1/${to}`, only(ex.out6), {
          ipv6: { dst: f.client },
          icmpv6: { type: 1, code: to, quote: { ipv6: { src: f.client }, udp: { sport: f.sport } } },
        });
      }
      const inb = await stillMapped(t, f, 'after the errors');
      t.expect('4787-9-req12-icmp-keep-mapping', `after the errors, a datagram from ${f.server} to ${f.T}:${f.t} still reaches ${f.client}:${f.sport}`, inb.ok, inb.detail, inb.seen ? [inb.seen] : []);
      const { ex, flow: again } = await openUdp(t, { sport: f.sport, payload: Buffer.from('after the errors') });
      t.expect('4787-9-req12-icmp-keep-mapping', `the client's next datagram leaves from the same ${f.T}:${f.t}`, !!again && again.T === f.T && again.t === f.t, again ? `left from ${again.T}:${again.t}` : whatCameOut(ex), again ? [again.out] : []);
    },
  },
  {
    id: 'errors-keep-tcp-connection',
    suite: SUITE,
    title: 'ICMPv4 3/1 (8-octet RFC 792 quote) and 3/3 about an established TCP connection reach the client; data flows both ways afterwards',
    requirements: ['5382-7.3-req9-icmp-du', '5382-7.3-req10-icmp-no-terminate'],
    async run(t) {
      const ids = this.requirements;
      const syn = await t.send(6, tcpSyn6(t, { sport: 40500, dport: 80, seq: 1000 }));
      const s4 = only(syn.out4)?.packet;
      if (!s4?.ipv4 || !s4.tcp) return setupFailed(t, ids, 'the SYN is translated', syn);
      const T4 = s4.ipv4.src;
      const tp = s4.tcp.sport;
      const synack = await t.send(4, { ipv4: { src: S4, dst: T4, ttl: 64 }, tcp: { sport: 80, dport: tp, seq: 5000, ack: 1001, flags: { syn: true, ack: true }, window: 65535 } });
      if (!only(synack.out6)) return setupFailed(t, ids, 'the SYN-ACK reaches the client', synack);
      const ack6: Packet = { ipv6: { src: C6, dst: v6(t, S4), hopLimit: 64 }, tcp: { sport: 40500, dport: 80, seq: 1001, ack: 5001, flags: { ack: true }, window: 65535 } };
      const ackOut = only((await t.send(6, ack6)).out4);
      if (!ackOut?.packet.tcp) return setupFailed(t, ids, 'the handshake completes (ACK translated)');

      // A router quotes what RFC 792 asks: the IPv4 header and the first 8 octets of TCP (ports and sequence number).
      const q = { ...ackOut.packet, ipv4: { ...ackOut.packet.ipv4!, ttl: 37, checksum: undefined }, notes: undefined };
      const q8 = encode(q).subarray(0, 28);
      const du1 = await t.send(4, { ipv4: { src: R4, dst: T4, ttl: 64 }, icmpv4: { type: 3, code: 1 }, payload: q8 });
      const ports = Buffer.alloc(4);
      ports.writeUInt16BE(40500, 0);
      ports.writeUInt16BE(80, 2);
      t.expectPacket('5382-7.3-req9-icmp-du', 'ICMPv4 3/1 about the connection reaches the client as ICMPv6 1/0, the 8-octet quote translated', only(du1.out6), {
        ipv6: { dst: C6 },
        icmpv6: { type: 1, code: 0, quote: { ipv6: { src: C6, dst: v6(t, S4), nextHeader: 6 }, payload: T.bufferPrefix(ports) } },
      });
      const du3 = await t.send(4, { ipv4: { src: S4, dst: T4, ttl: 64 }, icmpv4: { type: 3, code: 3, quote: q } });
      t.expectPacket('5382-7.3-req9-icmp-du', 'ICMPv4 3/3 about the connection reaches the client as ICMPv6 1/4', only(du3.out6), {
        icmpv6: { type: 1, code: 4, quote: { tcp: { sport: 40500, dport: 80 } } },
      });

      const data6 = await t.send(6, { ...ack6, tcp: { ...ack6.tcp!, flags: { ack: true, psh: true } }, payload: Buffer.from('data after the errors') });
      const d4 = only(data6.out4);
      t.expect('5382-7.3-req10-icmp-no-terminate', `client data after the errors still leaves from ${T4}:${tp}`, !!d4 && d4.packet.ipv4?.src === T4 && d4.packet.tcp?.sport === tp, whatCameOut(data6), d4 ? [d4] : []);
      const data4 = await t.send(4, { ipv4: { src: S4, dst: T4, ttl: 64 }, tcp: { sport: 80, dport: tp, seq: 5001, ack: 1022, flags: { ack: true, psh: true }, window: 65535 }, payload: Buffer.from('server data') });
      const d6 = only(data4.out6);
      t.expect('5382-7.3-req10-icmp-no-terminate', 'server data after the errors still reaches the client', !!d6 && d6.packet.ipv6?.dst === C6 && d6.packet.tcp?.dport === 40500, whatCameOut(data4), d6 ? [d6] : []);
    },
  },
  {
    id: 'router-error-under-adf',
    suite: SUITE,
    title: 'Under address-dependent filtering, ICMPv4 11/0 from an on-path router the client never contacted still reaches the client',
    requirements: ['4787-9-req12a-no-src-filter'],
    needs: { filtering: 'address-dependent' },
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      const ex = await t.send(4, err4(f, { type: 11, code: 0 }, quote4(f), R4));
      t.expectPacket(this.requirements, `ICMPv4 11/0 from ${R4} (no session with it) -> ICMPv6 3/0 to the client`, only(ex.out6), {
        ipv6: { src: v6(t, R4), dst: f.client },
        icmpv6: { type: 3, code: 0, quote: { udp: { sport: f.sport, dport: f.dport } } },
      });
    },
  },
];

const noMappingCases: CaseDef[] = [
  {
    id: 'v4-error-without-mapping',
    suite: SUITE,
    title: 'ICMPv4 3/3 quoting T:t\' -> S4:y for a port t\' with no mapping is dropped silently (another mapping of the client uses T)',
    requirements: ['5508-4.2-req4-no-mapping-drop'],
    async run(t) {
      const f = await openOut(t, this.requirements);
      if (!f) return;
      const unused = f.t + 2 > 65535 ? f.t - 2 : f.t + 2;
      const q = quote4(f);
      const ex = await t.send(4, err4(f, { type: 3, code: 3 }, { ...q, udp: { ...q.udp!, sport: unused, checksum: undefined } }, S4));
      expectNothing(t, this.requirements, `error about ${f.T}:${unused} (no BIB entry): nothing on either side`, ex);
    },
  },
  {
    id: 'v6-error-without-mapping',
    suite: SUITE,
    title: "ICMPv6 1/4 quoting [Pref64::S4]:y -> C6:x' for a port x' with no mapping is dropped silently (C6 has another mapping)",
    requirements: ['5508-4.2-req5-no-mapping-drop'],
    async run(t) {
      const both = await openBoth(t, this.requirements);
      if (!both) return;
      const { f, in6 } = both;
      const q = quote6(in6);
      const ex = await t.send(6, err6(f, { type: 1, code: 4 }, { ...q, udp: { ...q.udp!, dport: 40999, checksum: undefined } }, C6));
      expectNothing(t, this.requirements, `error about ${C6}:40999 (no BIB entry): nothing on either side`, ex);
    },
  },
];

const noStateCases: CaseDef[] = [
  {
    id: 'errors-do-not-refresh-or-delete',
    suite: SUITE,
    title: 'Idle UDP sessions hit only by ICMP errors from both sides: not deleted (alive at 0.95 L), not extended (gone at 1.1 L)',
    requirements: ['6146-3.5-icmperr-no-state'],
    async run(t) {
      const L = t.config.timeouts.udp * 1000;
      const a = await openBoth(t, this.requirements, { sport: 41000 });
      const b = a && (await openBoth(t, this.requirements, { sport: 41002 }));
      if (!a || !b) return;
      let now = 0;
      const at = async (ms: number) => {
        if (ms > now) await t.elapse(ms - now);
        now = Math.max(now, ms);
      };
      for (const k of [0.3, 0.6, 0.9]) {
        await at(k * L);
        for (const { f, in6 } of [a, b]) {
          const e4 = await t.send(4, err4(f, { type: 3, code: 1 }, quote4(f)));
          const e6 = await t.send(6, err6(f, { type: 1, code: 4 }, quote6(in6), C6));
          t.note(`${k} L: errors about ${f.client}:${f.sport} -> ${whatCameOut(e4)} / ${whatCameOut(e6)}`);
        }
      }
      await at(0.95 * L);
      const pa = await stillMapped(t, a.f, 'at 0.95 L');
      t.expect(this.requirements, 'not deleted: at 0.95 L (after errors at 0.3, 0.6, 0.9 L) a datagram from the server still reaches the client', pa.ok, pa.detail, pa.seen ? [pa.seen] : []);
      await at(1.1 * L);
      const pb = await stillMapped(t, b.f, 'at 1.1 L');
      t.expect(this.requirements, 'not extended: at 1.1 L, with no traffic since 0 but the errors, the session is gone (the datagram is dropped)', !pb.ok, pb.detail, pb.seen ? [pb.seen] : []);
    },
  },
  {
    id: 'errors-create-no-state',
    suite: SUITE,
    title: 'ICMP errors about transport addresses with no mapping, from either side, leave the BIB and session tables as they were',
    requirements: ['6146-3.5-icmperr-no-state'],
    needs: { readState: true },
    async run(t) {
      const both = await openBoth(t, this.requirements);
      if (!both) return;
      const { f, in6 } = both;
      const before = await t.state();
      const q6 = quote6(in6);
      await t.send(6, err6(f, { type: 1, code: 4 }, { ...q6, udp: { ...q6.udp!, dport: 40999, checksum: undefined } }, C6));
      await t.send(6, { ipv6: { src: LAB.client6[1], dst: f.server6, hopLimit: 64 }, icmpv6: { type: 1, code: 4, quote: { ...q6, ipv6: { ...q6.ipv6!, dst: LAB.client6[1] } } } });
      const q4 = quote4(f);
      await t.send(4, err4(f, { type: 3, code: 3 }, { ...q4, udp: { ...q4.udp!, sport: f.t === 65535 ? 65533 : f.t + 2, checksum: undefined } }, S4));
      const after = await t.state();
      const same = JSON.stringify(after.bib) === JSON.stringify(before.bib) && after.sessions.length === before.sessions.length;
      t.expect(this.requirements, 'BIB unchanged and no session added', same, `BIB ${before.bib.length} -> ${after.bib.length} entries, sessions ${before.sessions.length} -> ${after.sessions.length}`);
    },
  },
];

export const stateCases: CaseDef[] = [...mappingCases, ...noMappingCases, ...noStateCases];
