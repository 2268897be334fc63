/**
 * The IPv4 Identification of translated packets (RFC 7915 §5.1: "set
 * according to a Fragment Identification generator at the translator";
 * RFC 7857 §10 -> RFC 6864 §5.3.1: not repeated for one source, destination
 * and protocol while a fragment could still be around), and packet order
 * within a flow (RFC 7915 §4 and §5: SHOULD keep arrival order).
 */
import type { CaseDef, Seen } from '../../harness/runner/case';
import { LAB } from '../../harness/lab/addressing';
import { numbered, open, seqOf, setupFailed, udpIn, udpOut } from './lib';

const PER_FLOW = 16;

export const ipidCases: CaseDef[] = [
  {
    id: 'ipv4-identification',
    suite: 'header-translation',
    title: 'IPv4 Identification of DF=0 packets comes from a generator: no repeats per flow or per (source, destination, protocol)',
    requirements: ['7915-5.1-ip-id', '7857-10-ipid'],
    async run(t) {
      // Four hosts with two flows each; flows of one host share its pool address (paired pooling), so a
      // per-flow counter would repeat IDs within one (src, dst, protocol).
      const seen: Seen[] = [];
      const byFlow = new Map<string, Seen[]>();
      for (const client of LAB.client6) {
        for (const sport of [40800, 40801]) {
          const flow: Seen[] = [];
          for (let i = 0; i < PER_FLOW; i++) {
            const ex = await t.send(6, udpOut(t, { client, sport, payload: numbered(i, 64) }));
            flow.push(...ex.out4);
          }
          byFlow.set(`[${client}]:${sport}`, flow);
          seen.push(...flow);
        }
      }
      const small = seen.filter((s) => s.packet.ipv4 && !s.packet.ipv4.df);
      if (seen.length !== LAB.client6.length * 2 * PER_FLOW || small.length !== seen.length) {
        t.expect(this.requirements, 'setup: every small datagram is translated with DF clear (RFC 7915 §5.1: <= 1260 octets)', false, `${seen.length} translated, ${small.length} with DF clear`, seen);
        return;
      }
      for (const [name, flow] of byFlow) {
        const ids = flow.map((s) => s.packet.ipv4!.id!);
        const dup = firstRepeat(ids);
        t.expect('7915-5.1-ip-id', `flow ${name}: ${ids.length} DF=0 packets, Identification never repeats`, dup === undefined, dup === undefined ? `ids ${ids.slice(0, 4).join(', ')}, …` : `id ${dup} repeats; ids ${ids.join(', ')}`, flow);
      }
      const groups = new Map<string, Seen[]>();
      for (const s of small) {
        const h = s.packet.ipv4!;
        const k = `${h.src} -> ${h.dst} proto ${h.protocol}`;
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
      }
      for (const [k, list] of groups) {
        const ids = list.map((s) => s.packet.ipv4!.id!);
        const dup = firstRepeat(ids);
        t.expect('7857-10-ipid', `${k}: ${ids.length} DF=0 packets from ${new Set(list.map((s) => s.packet.udp?.sport)).size} mapping(s), Identification never repeats`, dup === undefined, dup === undefined ? `${ids.length} distinct values` : `id ${dup} repeats`, list);
      }
    },
  },
];

function firstRepeat(ids: number[]): number | undefined {
  const s = new Set<number>();
  for (const id of ids) {
    if (s.has(id)) return id;
    s.add(id);
  }
  return undefined;
}

/** Sizes of the numbered packets: mostly small, every fourth close to the 1280-octet IPv6 minimum MTU. */
function sizeOf(i: number): number {
  return i % 4 === 3 ? 1200 : 40 + (i % 7) * 13;
}

const COUNT = 100;

function inOrder(list: Seen[]): { ok: boolean; detail: string } {
  const seqs = list.map(seqOf);
  const wrong = seqs.findIndex((s, i) => s !== i);
  if (list.length !== COUNT) return { ok: false, detail: `${list.length} of ${COUNT} packets came out` };
  return wrong < 0 ? { ok: true, detail: `${COUNT} packets, numbers 0..${COUNT - 1} in order` } : { ok: false, detail: `position ${wrong} holds packet ${seqs[wrong]}; order ${seqs.slice(Math.max(0, wrong - 2), wrong + 3).join(', ')}` };
}

export const orderCases: CaseDef[] = [
  {
    id: 'flow-order-ipv6-to-ipv4',
    suite: 'header-translation',
    title: 'A flow of 100 numbered UDP datagrams of mixed sizes leaves on the IPv4 side in arrival order',
    requirements: ['7915-5-order-v6v4'],
    async run(t) {
      const out: Seen[] = [];
      for (let i = 0; i < COUNT; i++) out.push(...(await t.send(6, udpOut(t, { sport: 40900, payload: numbered(i, sizeOf(i)) }))).out4);
      const r = inOrder(out);
      t.expect('7915-5-order-v6v4', 'IPv4 side receives the datagrams in the order sent', r.ok, r.detail, out);
    },
  },
  {
    id: 'flow-order-ipv4-to-ipv6',
    suite: 'header-translation',
    title: 'A flow of 100 numbered UDP datagrams of mixed sizes leaves on the IPv6 side in arrival order',
    requirements: ['7915-4-order-v4v6'],
    async run(t) {
      const { ex, flow } = await open(t, udpOut(t, { sport: 40901 }));
      if (!flow) return setupFailed(t, this.requirements, 'the outbound UDP datagram is translated', ex);
      const out: Seen[] = [];
      for (let i = 0; i < COUNT; i++) out.push(...(await t.send(4, udpIn(flow, numbered(i, sizeOf(i))))).out6);
      const r = inOrder(out);
      t.expect('7915-4-order-v4v6', 'IPv6 side receives the datagrams in the order sent', r.ok, r.detail, out);
    },
  },
];
