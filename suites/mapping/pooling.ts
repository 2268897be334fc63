/**
 * Paired IP address pooling with a pool of two addresses: every mapping of
 * one IPv6 host uses one IPv4 address T (RFC 6146 §3.5.1.1 and §3.5.2.3,
 * RFC 4787 REQ-2), across UDP, TCP and ICMP by default (RFC 6888 REQ-2).
 */
import { LAB } from '../../harness/lab/addressing';
import type { CaseDef, Seen } from '../../harness/runner/case';
import { C6A, C6B, S4, S4B, S4C, fmt, outbound } from './lib';
import type { Outbound, Proto } from './lib';

/** Two pool addresses: without paired pooling a host's mappings would spread over both. */
const TWO = { pool4: [{ address: LAB.pool4[0] }, { address: LAB.pool4[1] }] };

const SERVERS = [S4, S4B, S4C];

const pairedUdp: CaseDef = {
  id: 'paired-udp',
  suite: 'mapping',
  title: 'All UDP mappings of one IPv6 host use one pool address (RFC 6146 §3.5.1.1, RFC 4787 REQ-2)',
  requirements: ['6146-3.5.1.1-paired', '4787-4.1-req2-paired'],
  needs: TWO,
  async run(t) {
    for (const client of [C6A, C6B]) {
      const addrs = new Map<string, number>();
      const seen: Seen[] = [];
      let missing = 0;
      for (let i = 0; i < 16; i++) {
        const o = await outbound(t, 'udp', { client, sport: 42000 + 3 * i, server: SERVERS[i % 3], dport: 100 + i });
        if (o.out) seen.push(o.out);
        if (o.map) addrs.set(o.map.addr, (addrs.get(o.map.addr) ?? 0) + 1);
        else missing++;
      }
      const spread = [...addrs].map(([a, n]) => `${a} ×${n}`).join(', ');
      t.expect(
        ['6146-3.5.1.1-paired', '4787-4.1-req2-paired'],
        `16 UDP mappings of ${client} use a single IPv4 address`,
        addrs.size === 1 && missing === 0,
        `${spread || 'none'}${missing ? `; ${missing} flows not translated` : ''}`,
        seen,
      );
    }
  },
};

const pairedAll: CaseDef = {
  id: 'paired-all-protocols',
  suite: 'mapping',
  title: 'UDP, TCP and ICMP mappings of one IPv6 host share one pool address (RFC 6146 §3.5.2.3, RFC 6888 REQ-2)',
  requirements: ['6146-3.5.2.3-paired', '6888-3-req2-paired-default', '6888-3-req2-per-app'],
  needs: TWO,
  async run(t) {
    // C6a starts with UDP, C6b with ICMP: the TCP mapping must follow an entry of either other BIB.
    const orders: [string, Proto[]][] = [
      [C6A, ['udp', 'tcp', 'icmp']],
      [C6B, ['icmp', 'tcp', 'udp']],
    ];
    for (const [client, order] of orders) {
      const got = new Map<Proto, Outbound>();
      for (const proto of order) got.set(proto, await outbound(t, proto, { client, sport: proto === 'icmp' ? 0x600d : 43000, server: S4, dport: proto === 'udp' ? 9 : 80 }));
      const seen = order.map((p) => got.get(p)!.out).filter((s): s is Seen => !!s);
      const firstProto = order[0];
      const anchor = got.get(firstProto)!.map;
      const tcp = got.get('tcp')!.map;
      t.expect(
        '6146-3.5.2.3-paired',
        `${client}: the TCP mapping uses the address of its existing ${firstProto.toUpperCase()} mapping`,
        !!anchor && !!tcp && tcp.addr === anchor.addr,
        `${firstProto.toUpperCase()} ${fmt(anchor)}, TCP ${fmt(tcp)}`,
        seen,
      );
      const all = order.map((p) => got.get(p)!.map);
      t.expect(
        '6888-3-req2-paired-default',
        `${client}: ${order.map((p) => p.toUpperCase()).join(', ')} all use one IPv4 address (default configuration)`,
        all.every((m) => !!m && m.addr === all[0]!.addr),
        order.map((p, i) => `${p.toUpperCase()} ${fmt(all[i])}`).join('; '),
        seen,
      );
    }
    t.naCheck('6888-3-req2-per-app', 'per-application override of paired pooling', 'the lab target interface has no per-application pooling setting to exercise');
  },
};

export const poolingCases: CaseDef[] = [pairedUdp, pairedAll];
