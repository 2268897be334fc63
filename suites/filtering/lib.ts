/**
 * Classifying a target's inbound filtering the RFC 4787 §5 way: open a
 * mapping toward S4, then let three IPv4 endpoints knock on it:
 *
 *   reply       S4 from the contacted port          every behaviour delivers
 *   new port    S4 from another port                EIF and ADF deliver, APDF drops
 *   new address S4b, never contacted               only EIF delivers
 *
 * UDP uses datagrams, TCP uses SYNs after the handshake with S4 (RFC 5382
 * REQ-3 "classify with unsolicited SYNs"), ICMP uses echo requests (no port,
 * so only "reply" and "new address").
 */
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { C6A, S4, S4B, deliveredTo, echo4, fmt, icmpErrors, outbound, outputs, tcp4, udp4 } from '../mapping/lib';
import type { Mapping, Outbound, Proto } from '../mapping/lib';

export type Behaviour = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'none' | 'inconsistent';

export interface Probe {
  label: string;
  ex: Exchange;
  delivered?: Seen;
}

export interface Classification {
  behaviour: Behaviour;
  mapping?: Mapping;
  out?: Outbound;
  reply?: Probe;
  newPort?: Probe;
  newAddress?: Probe;
  /** One line: the three verdicts and what came back. */
  detail: string;
  /** Every packet the probes produced, for the evidence. */
  packets: Seen[];
}

export const NEW_PORT = 2000;

function probePacket(proto: Proto, src: string, sport: number, m: Mapping, reply: boolean): Packet {
  if (proto === 'udp') return udp4(src, sport, m.addr, m.port);
  if (proto === 'tcp') return tcp4(src, sport, m.addr, m.port, reply ? { syn: true, ack: true } : { syn: true }, reply ? 5000 : 9000, reply ? 1001 : 0);
  return echo4(src, m.addr, m.port, reply ? 0 : 8);
}

/** Classify the filtering of `proto` as seen by `client` from source port `sport`. */
export async function classify(t: CaseContext, proto: Proto, client = C6A, sport = 44000): Promise<Classification> {
  const dport = proto === 'udp' ? 9 : proto === 'tcp' ? 80 : 0;
  const out = await outbound(t, proto, { client, sport, server: S4, dport });
  const m = out.map;
  if (!m) return { behaviour: 'none', out, detail: `the outbound ${proto} flow was not translated (${outputs(out.ex)})`, packets: [] };
  const knock = async (label: string, src: string, srcPort: number, reply: boolean): Promise<Probe> => {
    const ex = await t.send(4, probePacket(proto, src, srcPort, m, reply));
    return { label, ex, delivered: deliveredTo(ex, client, sport, proto) };
  };
  const reply = await knock(`${S4}${proto === 'icmp' ? '' : `:${dport}`} (the contacted endpoint)`, S4, dport, true);
  if (proto === 'tcp' && out.out) {
    // Complete the handshake so that the connection to S4 is established before the unsolicited SYNs.
    await t.send(6, {
      ipv6: { src: out.packet.ipv6!.src, dst: out.packet.ipv6!.dst, hopLimit: 64 },
      tcp: { sport, dport, seq: 1001, ack: 5001, flags: { ack: true }, window: 8192 },
    });
  }
  const newPort = proto === 'icmp' ? undefined : await knock(`${S4}:${NEW_PORT} (contacted address, new port)`, S4, NEW_PORT, false);
  const newAddress = await knock(`${S4B}${proto === 'icmp' ? '' : `:${dport}`} (never contacted)`, S4B, dport, false);
  const r = !!reply.delivered;
  const p = newPort ? !!newPort.delivered : r;
  const a = !!newAddress.delivered;
  let behaviour: Behaviour;
  if (!r) behaviour = 'none';
  else if (p && a) behaviour = 'endpoint-independent';
  else if (p && !a) behaviour = 'address-dependent';
  else if (!p && !a) behaviour = 'address-and-port-dependent';
  else behaviour = 'inconsistent';
  const probes = [reply, newPort, newAddress].filter((x): x is Probe => !!x);
  const verdicts = probes.map((x) => {
    const errs = icmpErrors(x.ex.out4);
    return `${x.label} ${x.delivered ? 'delivered' : 'filtered'}${errs.length ? ` (${errs.join(', ')} back)` : ''}`;
  });
  return {
    behaviour,
    mapping: m,
    out,
    reply,
    newPort,
    newAddress,
    detail: `${proto.toUpperCase()} mapping ${fmt(m)}: ${verdicts.join('; ')} → ${behaviour}`,
    packets: probes.flatMap((x) => [...x.ex.out6, ...x.ex.out4]),
  };
}
