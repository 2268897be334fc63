/**
 * RFC 6146 timeouts of the `tayga` target. TAYGA keeps no sessions; the
 * session timers are Linux conntrack's, whose sysctls are per network
 * namespace. Each RFC 6146 timer maps onto the conntrack timers that end
 * the same phase of a flow; a timer conntrack has no counterpart for is
 * refused rather than pretended.
 */
import type { Timeouts } from '../../engine/api';

type Key = keyof Timeouts;

/**
 * conntrack sysctls per RFC 6146 timer. UDP: conntrack times out a flow
 * that has seen no reply (`udp_timeout`) apart from one that has
 * (`udp_timeout_stream`); RFC 6146 has one UDP session lifetime, so both
 * carry it. The closing phase spans five conntrack states, the partially
 * open phase two. Fragments: only the IPv4 side reassembles (conntrack
 * defragmentation); TAYGA translates IPv6 fragments one by one.
 */
export const SYSCTLS: Partial<Record<Key, string[]>> = {
  udp: ['net.netfilter.nf_conntrack_udp_timeout', 'net.netfilter.nf_conntrack_udp_timeout_stream'],
  tcpEstablished: ['net.netfilter.nf_conntrack_tcp_timeout_established'],
  tcpTransitory: [
    'net.netfilter.nf_conntrack_tcp_timeout_fin_wait',
    'net.netfilter.nf_conntrack_tcp_timeout_close_wait',
    'net.netfilter.nf_conntrack_tcp_timeout_last_ack',
    'net.netfilter.nf_conntrack_tcp_timeout_time_wait',
    'net.netfilter.nf_conntrack_tcp_timeout_close',
  ],
  tcpInit: ['net.netfilter.nf_conntrack_tcp_timeout_syn_sent', 'net.netfilter.nf_conntrack_tcp_timeout_syn_recv'],
  icmp: ['net.netfilter.nf_conntrack_icmp_timeout'],
  fragment: ['net.ipv4.ipfrag_time'],
};

/** Why a timer cannot be set, for the ones without a conntrack counterpart. */
export const UNMAPPED: Partial<Record<Key, string>> = {
  tcpIncomingSyn: 'Linux conntrack does not hold an unsolicited inbound SYN, so TCP_INCOMING_SYN has no setting',
};

export function allSysctls(): string[] {
  return Object.values(SYSCTLS).flat();
}

/** The sysctl writes for the requested timers; throws with the reason for one that has no counterpart. */
export function timeoutSysctls(want: Partial<Timeouts>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(want) as [Key, number][]) {
    if (v === undefined) continue;
    const names = SYSCTLS[k];
    if (!names) throw new UnmappedTimeout(`timeouts.${k}: ${UNMAPPED[k] ?? 'no conntrack counterpart'}`);
    if (!Number.isInteger(v) || v <= 0) throw new UnmappedTimeout(`timeouts.${k}: ${v} is not a whole number of seconds above 0 (the kernel takes whole seconds)`);
    for (const n of names) out[n] = v;
  }
  return out;
}

export class UnmappedTimeout extends Error {}

/**
 * The RFC 6146 timers in force, from the sysctl values: each timer is the
 * shortest of its conntrack timers, since that is when the phase can end.
 * `tcpIncomingSyn` is 0: an unsolicited SYN is not held at all.
 */
export function effectiveTimeouts(values: Record<string, number>): Timeouts {
  const min = (k: Key) => Math.min(...SYSCTLS[k]!.map((n) => values[n]));
  return {
    udp: min('udp'),
    tcpEstablished: min('tcpEstablished'),
    tcpTransitory: min('tcpTransitory'),
    tcpInit: min('tcpInit'),
    tcpIncomingSyn: 0,
    icmp: min('icmp'),
    fragment: min('fragment'),
  };
}
