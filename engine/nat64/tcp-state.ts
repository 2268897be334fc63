/**
 * RFC 6146 §3.5.2.2: the TCP session state machine, as a pure function of
 * (state, direction, flags). The caller applies the result to the session
 * (state, lifetime) and forwards or holds the packet.
 *
 * CLOSED is "no session"; the CLOSED rules live in the session-updating step
 * because they involve the BIB. This module covers a session that exists.
 */
export const enum TcpState {
  V4_INIT = 1,
  V6_INIT = 2,
  ESTABLISHED = 3,
  V4_FIN_RCV = 4,
  V6_FIN_RCV = 5,
  V4_FIN_V6_FIN_RCV = 6,
  TRANS = 7,
}

export const TCP_STATE_NAME: Readonly<Record<number, string>> = {
  [TcpState.V4_INIT]: 'V4 INIT',
  [TcpState.V6_INIT]: 'V6 INIT',
  [TcpState.ESTABLISHED]: 'ESTABLISHED',
  [TcpState.V4_FIN_RCV]: 'V4 FIN RCV',
  [TcpState.V6_FIN_RCV]: 'V6 FIN RCV',
  [TcpState.V4_FIN_V6_FIN_RCV]: 'V6 FIN + V4 FIN RCV',
  [TcpState.TRANS]: 'TRANS',
};

/** How the lifetime changes. */
export const enum Lifetime {
  /** Unchanged. */
  KEEP = 0,
  /** Set to TCP_TRANS from now. */
  TRANS = 1,
  /** Set to the maximum session lifetime (>= TCP_EST) from now. */
  EST = 2,
  /**
   * Set to the partially-open idle timeout from now: "at least TCP_TRANS"
   * (§3.5.2.2 V6 INIT), configurable apart from the closing one (RFC 7857 §2.1).
   */
  INIT = 3,
  /** Expire at once (only under fault rst-not-transitory). */
  NOW = 4,
}

export interface TcpFlagsIn {
  syn: boolean;
  fin: boolean;
  rst: boolean;
}

export interface TcpStep {
  state: TcpState;
  lifetime: Lifetime;
}

/**
 * The transition of an existing session for a segment arriving from side
 * `from` (6: the IPv6 interface, 4: the IPv4 interface). Every segment of an
 * existing session is translated and forwarded ("if the security policy
 * allows" for the SHOULD cases; this engine's policy allows), except that a
 * V4 INIT session holding a stored SYN forwards nothing from the IPv4 side
 * (the caller checks that).
 */
export function tcpStep(state: TcpState, from: 4 | 6, f: TcpFlagsIn): TcpStep {
  switch (state) {
    case TcpState.V4_INIT:
      // V6 SYN: simultaneous open completes.
      if (from === 6 && f.syn) return { state: TcpState.ESTABLISHED, lifetime: Lifetime.EST };
      return { state, lifetime: Lifetime.KEEP };
    case TcpState.V6_INIT:
      // V4 SYN, with or without ACK.
      if (from === 4 && f.syn) return { state: TcpState.ESTABLISHED, lifetime: Lifetime.EST };
      // V6 SYN (retransmission): lifetime "at least TCP_TRANS", the partially-open timeout.
      if (from === 6 && f.syn) return { state, lifetime: Lifetime.INIT };
      return { state, lifetime: Lifetime.KEEP };
    case TcpState.ESTABLISHED:
      // RST is taken before FIN: a segment carrying both resets the connection.
      if (f.rst) return { state: TcpState.TRANS, lifetime: Lifetime.TRANS };
      if (f.fin) return { state: from === 4 ? TcpState.V4_FIN_RCV : TcpState.V6_FIN_RCV, lifetime: Lifetime.EST };
      return { state, lifetime: Lifetime.EST };
    case TcpState.V4_FIN_RCV:
      if (from === 6 && f.fin) return { state: TcpState.V4_FIN_V6_FIN_RCV, lifetime: Lifetime.TRANS };
      return { state, lifetime: Lifetime.EST };
    case TcpState.V6_FIN_RCV:
      if (from === 4 && f.fin) return { state: TcpState.V4_FIN_V6_FIN_RCV, lifetime: Lifetime.TRANS };
      return { state, lifetime: Lifetime.EST };
    case TcpState.V4_FIN_V6_FIN_RCV:
      return { state, lifetime: Lifetime.KEEP };
    case TcpState.TRANS:
      if (f.rst) return { state, lifetime: Lifetime.KEEP };
      return { state: TcpState.ESTABLISHED, lifetime: Lifetime.EST };
  }
}

/** What happens when a session's lifetime runs out. */
export const enum OnExpiry {
  DELETE = 0,
  /** ESTABLISHED: send the empty ACK probe and move to TRANS for TCP_TRANS. */
  PROBE_THEN_TRANS = 1,
  /** V4 INIT: send ICMPv4 port unreachable with the stored SYN (if one is stored), then delete. */
  ICMP_THEN_DELETE = 2,
}

export function tcpOnExpiry(state: TcpState): OnExpiry {
  if (state === TcpState.ESTABLISHED) return OnExpiry.PROBE_THEN_TRANS;
  if (state === TcpState.V4_INIT) return OnExpiry.ICMP_THEN_DELETE;
  return OnExpiry.DELETE;
}
