/**
 * Manually configured BIB entries (RFC 6146 §3.1): usable inbound with no
 * prior outbound traffic, used for the host's outbound traffic, and never
 * removed when their sessions expire. Endpoint-independent filtering is
 * configured so that an unsolicited inbound packet is admitted by the entry
 * alone (RFC 6146 §3.5.1: ADF would drop it for want of a session).
 */
import { LAB } from '../../harness/lab/addressing';
import type { StaticBibEntry } from '../../engine/api';
import type { Expectation } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseDef } from '../../harness/runner/case';
import { only, v6 } from '../lib/flows';
import { C6A, S4, echo4, tcp4, udp4 } from './lib';
import type { Proto } from './lib';

const T1 = LAB.pool4[0];

const ENTRY: Record<Proto, StaticBibEntry> = {
  udp: { protocol: 'udp', v6: { address: C6A, port: 5353 }, v4: { address: T1, port: 6000 } },
  tcp: { protocol: 'tcp', v6: { address: C6A, port: 8080 }, v4: { address: T1, port: 6080 } },
  icmp: { protocol: 'icmp', v6: { address: C6A, port: 0x77 }, v4: { address: T1, port: 0x1077 } },
};

interface StaticPlan {
  /** The unsolicited packet from S4 to (T,t). */
  in4: Packet;
  /** What must reach the host. */
  in6: Expectation;
  /** The host's answer, built from the server's IPv6 address. */
  out6: (s4as6: string) => Packet;
  /** What must leave on the IPv4 side: from the static (T,t). */
  out4: Expectation;
}

function planFor(proto: Proto, s4as6: string): StaticPlan {
  const e = ENTRY[proto];
  if (proto === 'udp') {
    return {
      in4: udp4(S4, 9, e.v4.address, e.v4.port),
      in6: { ipv6: { src: s4as6, dst: e.v6.address }, udp: { sport: 9, dport: e.v6.port } },
      out6: (s) => ({ ipv6: { src: C6A, dst: s, hopLimit: 64 }, udp: { sport: e.v6.port, dport: 9 }, payload: Buffer.from('static reply') }),
      out4: { ipv4: { src: e.v4.address, dst: S4 }, udp: { sport: e.v4.port, dport: 9 } },
    };
  }
  if (proto === 'tcp') {
    return {
      in4: tcp4(S4, 40000, e.v4.address, e.v4.port, { syn: true }, 7000),
      in6: { ipv6: { src: s4as6, dst: e.v6.address }, tcp: { sport: 40000, dport: e.v6.port, flags: { syn: true, ack: false } } },
      out6: (s) => ({ ipv6: { src: C6A, dst: s, hopLimit: 64 }, tcp: { sport: e.v6.port, dport: 40000, seq: 900, ack: 7001, flags: { syn: true, ack: true }, window: 8192 } }),
      out4: { ipv4: { src: e.v4.address, dst: S4 }, tcp: { sport: e.v4.port, dport: 40000 } },
    };
  }
  return {
    in4: echo4(S4, e.v4.address, e.v4.port, 8),
    in6: { ipv6: { src: s4as6, dst: e.v6.address }, icmpv6: { type: 128, id: e.v6.port } },
    out6: (s) => ({ ipv6: { src: C6A, dst: s, hopLimit: 64 }, icmpv6: { type: 129, code: 0, id: e.v6.port, seq: 1 }, payload: Buffer.from('nat64lab inbound echo') }),
    out4: { ipv4: { src: e.v4.address, dst: S4 }, icmpv4: { type: 0, id: e.v4.port } },
  };
}

function staticCase(proto: Proto): CaseDef {
  const e = ENTRY[proto];
  const v6x = proto === 'icmp' ? `(${e.v6.address}, id ${e.v6.port})` : `[${e.v6.address}]:${e.v6.port}`;
  const v4t = proto === 'icmp' ? `(${e.v4.address}, id ${e.v4.port})` : `${e.v4.address}:${e.v4.port}`;
  return {
    id: `static-bib-${proto}`,
    suite: 'mapping',
    title: `A static ${proto.toUpperCase()} BIB entry admits inbound traffic with no prior outbound packet (RFC 6146 §3.1)`,
    requirements: ['6146-3.1-static-bib'],
    needs: { staticBib: [e], filtering: 'endpoint-independent' },
    async run(t) {
      const plan = planFor(proto, v6(t, S4));
      const ex = await t.send(4, plan.in4);
      t.expectPacket('6146-3.1-static-bib', `unsolicited ${proto.toUpperCase()} from ${S4} to ${v4t} reaches ${v6x}`, only(ex.out6), plan.in6);
      // The entry is the host's mapping for outbound traffic too (one BIB entry per (X',x), RFC 6146 §3.5.1).
      const back = await t.send(6, plan.out6(v6(t, S4)));
      t.expectPacket('6146-3.1-static-bib', `${v6x}'s answer leaves from the static ${v4t}`, only(back.out4), plan.out4);
    },
  };
}

/**
 * RFC 6146 §3.1: manual entries "are not deleted when there is no
 * corresponding Session Table Entry". The host uses the entry (a session is
 * created), the session idles out on the virtual clock, and the entry must
 * still deliver.
 */
const persistCase: CaseDef = {
  id: 'static-bib-persist',
  suite: 'mapping',
  title: 'A static UDP BIB entry survives the expiry of all its sessions (RFC 6146 §3.1)',
  requirements: ['6146-3.1-static-bib-persist'],
  needs: { staticBib: [ENTRY.udp], filtering: 'endpoint-independent', virtualClock: true },
  async run(t) {
    const e = ENTRY.udp;
    const plan = planFor('udp', v6(t, S4));
    const out = await t.send(6, plan.out6(v6(t, S4)));
    const o4 = only(out.out4);
    t.note(`outbound from [${C6A}]:${e.v6.port} left from ${o4?.packet.ipv4?.src}:${o4?.packet.udp?.sport} (static entry ${e.v4.address}:${e.v4.port})`);
    const idle = t.config.timeouts.udp + 1;
    await t.advance(idle * 1000);
    const ex = await t.send(4, plan.in4);
    t.expectPacket('6146-3.1-static-bib-persist', `${idle} s after the only session went idle, ${S4} → ${e.v4.address}:${e.v4.port} still reaches [${C6A}]:${e.v6.port}`, only(ex.out6), plan.in6);
  },
};

export const staticCases: CaseDef[] = [staticCase('udp'), staticCase('tcp'), staticCase('icmp'), persistCase];
