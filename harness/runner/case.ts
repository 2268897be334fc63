/**
 * The conformance case model. A case sends crafted packets through a lab
 * session and records one check per requirement it verifies; the runner
 * turns those into results, evidence and a pcap.
 */
import type { Expectation } from '../packet/compare';
import type { Packet, Side } from '../packet/types';
import type { BibEntry, DeterministicBlock, EngineEvent, SessionEntry } from '../../engine/api';
import type { EffectiveConfig, TargetNeeds } from '../lab/target';

/** A packet the case sent or saw, with its place in the case's evidence. */
export interface Seen {
  index: number;
  side: Side;
  direction: 'sent' | 'received';
  packet: Packet;
  bytes: Buffer;
  timeUs: number;
}

/** What came out of the target after one injection (or clock advance). */
export interface Exchange {
  sent?: Seen;
  out4: Seen[];
  out6: Seen[];
}

export interface CaseContext {
  /** The configuration the target runs this case with (pool6, pool4, filtering, timeouts). */
  readonly config: EffectiveConfig;
  /** Send a packet into a side and collect what comes out on both sides. */
  send(side: Side, packet: Packet | Buffer): Promise<Exchange>;
  /** Move the target's virtual clock; the case is na on a target without one. */
  advance(ms: number): Promise<Exchange>;
  /**
   * Let `ms` pass on the target: the virtual clock where there is one, else a
   * real wait when it is short enough (or any length in the --soak tier),
   * else the case is na. Which of these happened goes into the case notes.
   * Returns what the target emitted meanwhile.
   */
  elapse(ms: number): Promise<Exchange>;
  /**
   * Try a configuration on the target without running with it: requirements
   * such as "a timeout below UDP_MIN MUST NOT be accepted" are checked by the
   * refusal. The case is na when the target cannot set these knobs at all.
   */
  attempt(needs: TargetNeeds): Promise<{ accepted: true; config: EffectiveConfig } | { accepted: false; reason: string }>;
  /** Read BIB and sessions; the case is na on a target that cannot show them. */
  state(): Promise<{ bib: BibEntry[]; sessions: SessionEntry[] }>;
  /** Read the target's event log (mapping events, notifications, RFC 7422 records); the case is na on a target whose log the lab cannot read. */
  events(): Promise<EngineEvent[]>;
  /** The RFC 7422 §2 test function of the target, either direction; the case is na on a target that offers none. */
  deterministicMap(q: { inside: string } | { address: string; port: number }): Promise<DeterministicBlock | undefined>;
  /**
   * Compare a packet field by field with an expectation and record the
   * result as one check per requirement id. `observed` undefined (no packet
   * where one was required) fails.
   */
  expectPacket(requirements: string | string[], label: string, observed: Seen | undefined, expected: Expectation): boolean;
  /** Record a yes/no check with a one-line detail. */
  expect(requirements: string | string[], label: string, ok: boolean, detail: string, packets?: Seen[]): boolean;
  /** Record what the target does for a MAY requirement (reported, never scored). */
  behaviour(requirement: string, label: string, detail: string, packets?: Seen[]): void;
  /** Record a requirement this case cannot check on this target, with the reason. */
  naCheck(requirements: string | string[], label: string, reason: string): void;
  /** The whole case cannot run on this target: throws, the case is na with this reason. */
  na(reason: string): never;
  /** A line of explanation for the report. */
  note(text: string): void;
}

export interface CaseDef {
  /** Unique, stable, kebab-case within the suite (the full id is `suite/id`). */
  id: string;
  suite: string;
  title: string;
  /** Every requirement id the case records a check for. */
  requirements: string[];
  /** Target settings the case needs; a target that cannot meet them makes the case na. */
  needs?: TargetNeeds;
  run(t: CaseContext): Promise<void>;
}

export function caseKey(c: { suite: string; id: string }): string {
  return `${c.suite}/${c.id}`;
}
