/**
 * Deliberate defects of the TCP state machine (engine/faults.ts), applied on
 * top of the RFC 6146 §3.5.2.2 step computed by tcp-state.ts. Each is a
 * small branch marked `// FAULT <name>`; with no fault set the result is
 * exactly `tcpStep`.
 *
 * Faults that only change a timer value (tcp-trans-too-short,
 * tcp-est-too-short, tcp-est-too-long, v4-syn-not-held,
 * tcp-init-timeout-ignored) live where the timers are read from the
 * configuration (engine/index.ts); no-tcp-state-machine, held-syn-no-icmp
 * and no-est-probe are branches of the pipeline.
 */
import type { FaultFlags } from './flags';
import { Lifetime, TcpState, tcpStep } from './tcp-state';
import type { TcpFlagsIn, TcpStep } from './tcp-state';

/**
 * The transition of an existing session for a segment from side `from`, or
 * undefined when a fault drops the segment. `ack` is the segment's ACK flag
 * (the state machine itself never needs it).
 */
export function tcpStepUnderFaults(flags: FaultFlags, state: TcpState, from: 4 | 6, f: TcpFlagsIn, ack: boolean): TcpStep | undefined {
  // FAULT no-simultaneous-open: in V6 INIT an inbound SYN without ACK is dropped; only a SYN+ACK completes the open.
  if (flags.noSimultaneousOpen && state === TcpState.V6_INIT && from === 4 && f.syn && !ack) return undefined;
  // FAULT rst-not-translated: a RST of a tracked connection is swallowed instead of translated and forwarded.
  if (flags.rstNotTranslated && f.rst) return undefined;
  // FAULT fin-not-tracked: FIN flags do not move the state machine.
  const step = tcpStep(state, from, flags.finNotTracked ? { ...f, fin: false } : f);
  // FAULT rst-not-transitory: a RST ends an ESTABLISHED session at once instead of leaving it TCP_TRANS in TRANS.
  if (flags.rstNotTransitory && state === TcpState.ESTABLISHED && f.rst) return { state: TcpState.TRANS, lifetime: Lifetime.NOW };
  // FAULT half-close-transitory: the first FIN already cuts the lifetime to TCP_TRANS, and later segments do not restore it.
  if (flags.halfCloseTransitory && (step.state === TcpState.V4_FIN_RCV || step.state === TcpState.V6_FIN_RCV)) {
    return { state: step.state, lifetime: state === TcpState.ESTABLISHED ? Lifetime.TRANS : Lifetime.KEEP };
  }
  // FAULT tcp-no-refresh: segments of an ESTABLISHED session do not restart its lifetime.
  if (flags.tcpNoRefresh && state === TcpState.ESTABLISHED && step.state === TcpState.ESTABLISHED) return { state, lifetime: Lifetime.KEEP };
  return step;
}
