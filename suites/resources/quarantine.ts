/**
 * Port quarantine (RFC 6888 REQ-8): once a mapping's external port is freed
 * it SHOULD NOT go to a new mapping for 120 s, so late packets of the old
 * flow never reach a new subscriber; the time and the number of ports held
 * back MUST be configurable. The exceptions a-c of REQ-8 are MAYs (TCP ports
 * of a NAT that tracks TCP state, static port sets, address-dependent
 * filtering), so the cases use UDP under endpoint-independent filtering,
 * where no exception applies.
 *
 * A pool4 address whose UDP range holds one (or two) ports makes "is the
 * port reused?" a yes/no question: a new mapping either gets that port or is
 * refused. The UDP timeout is set to its minimum (UDP_MIN, 120 s) so the
 * mapping is freed as early as RFC 6146 allows; the waits go through
 * t.elapse (virtual clock, or real time in the --soak tier).
 */
import { LAB } from '../../harness/lab/addressing';
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { C6A, C6B, C6C, C6D, S4, deliveredTo, udp4 } from '../mapping/lib';
import type { Flow } from './lib';
import { SUITE, fmt, label, open, outputs, seenOf, setupOk } from './lib';

const ONE_PORT = { min: 2000, max: 2000 };
const TWO_PORTS = { min: 2000, max: 2001 };

function needs(ports: { min: number; max: number }, quarantine?: { seconds?: number; maxPorts?: number }) {
  return {
    pool4: [{ address: LAB.pool4[0], ports: { udp: ports } }],
    filtering: 'endpoint-independent' as const,
    timeouts: { udp: 120 },
    ...(quarantine ? { limits: { quarantine } } : {}),
  };
}

/** Moves the target's time to `at` seconds after the start (forward only). */
function timeline(t: CaseContext): (at: number) => Promise<void> {
  let now = 0;
  return async (at: number) => {
    if (at > now) await t.elapse(Math.round((at - now) * 1000));
    now = Math.max(now, at);
  };
}

/** Whether the flow's mapping is gone: a packet from its server no longer reaches the client. */
async function gone(t: CaseContext, f: Flow): Promise<{ ok: boolean; detail: string }> {
  const ex = await t.send(4, udp4(f.spec.server, f.spec.dport, f.map!.addr, f.map!.port, 'nat64lab resources late packet'));
  const got = deliveredTo(ex, f.spec.client, f.spec.sport, 'udp');
  return { ok: !got, detail: got ? `${fmt(f.map)} still delivers to ${f.spec.client}` : `${fmt(f.map)} no longer delivers (${outputs(ex)})` };
}

function describe(f: Flow): string {
  return `${label(f)}: ${f.map ? `got ${fmt(f.map)}` : `no mapping (${outputs(f.ex)})`}`;
}

const defaultQuarantine: CaseDef = {
  id: 'port-quarantine-default',
  suite: SUITE,
  title: 'A UDP port freed by an expired mapping is not given to a new mapping for 120 s (RFC 6888 REQ-8)',
  requirements: ['6888-3-req8-port-quarantine'],
  needs: needs(ONE_PORT),
  async run(t) {
    const id = '6888-3-req8-port-quarantine';
    const L = t.config.timeouts.udp;
    const at = timeline(t);
    const first = await open(t, 'udp', C6A, 40000, S4);
    if (!setupOk(t, [id], `${C6A} maps to the only UDP port of ${LAB.pool4[0]}`, [first])) return;
    const port = first.map!;
    await at(L + 2);
    const g = await gone(t, first);
    if (!g.ok) {
      t.expect(id, `the mapping expired after the ${L} s UDP timeout`, false, g.detail);
      return;
    }
    // Within 120 s of the release the port stays out of allocation; with one port in the range, new mappings are refused.
    const early = await open(t, 'udp', C6B, 40000, S4);
    await at(L + 118);
    const late = await open(t, 'udp', C6C, 40000, S4);
    const reused = [early, late].filter((f) => f.map && f.map.addr === port.addr && f.map.port === port.port);
    t.expect(
      id,
      `${fmt(port)} is not reallocated 2 s and 118 s after its mapping expired`,
      reused.length === 0,
      `${describe(early)}; ${describe(late)}`,
      [...seenOf(early.ex), ...seenOf(late.ex)],
    );
    await at(L + 121);
    const after = await open(t, 'udp', C6D, 40000, S4);
    t.note(`121 s after the release: ${describe(after)} (reuse after the quarantine is allowed, not required)`);
  },
};

const configuredTime: CaseDef = {
  id: 'port-quarantine-configured-time',
  suite: SUITE,
  title: 'Quarantine set to 30 s: a freed port is held back 25 s and reallocated 45 s after its mapping expired, long before 120 s (RFC 6888 REQ-8, configurable time)',
  requirements: ['6888-3-req8-configurable'],
  needs: needs(ONE_PORT, { seconds: 30 }),
  async run(t) {
    const id = '6888-3-req8-configurable';
    const L = t.config.timeouts.udp;
    const at = timeline(t);
    const first = await open(t, 'udp', C6A, 40000, S4);
    if (!setupOk(t, [id], `${C6A} maps to the only UDP port of ${LAB.pool4[0]}`, [first])) return;
    await at(L + 1);
    const held = await open(t, 'udp', C6B, 40000, S4);
    await at(L + 25);
    const stillHeld = await open(t, 'udp', C6C, 40000, S4);
    // 15 s of slack for targets whose expiry timers are coarse, still far from the 120 s default.
    await at(L + 45);
    const back = await open(t, 'udp', C6D, 40000, S4);
    const q = t.config.limits?.quarantine;
    const rb = !q || q.seconds === 30;
    t.expect(
      id,
      'with a 30 s quarantine the freed port is refused at +1 s and +25 s and reallocated at +45 s',
      !held.map && !stillHeld.map && !!back.map && rb,
      `+1 s ${describe(held)}; +25 s ${describe(stillHeld)}; +45 s ${describe(back)}${q ? `; configured value read back: ${q.seconds} s` : ''}`,
      [...seenOf(held.ex), ...seenOf(stillHeld.ex), ...seenOf(back.ex)],
    );
  },
};

const configuredSize: CaseDef = {
  id: 'port-quarantine-configured-size',
  suite: SUITE,
  title: 'At most one port in quarantine: when two mappings expire together, one port is reallocated at once and the other held back (RFC 6888 REQ-8, configurable number)',
  requirements: ['6888-3-req8-configurable'],
  needs: needs(TWO_PORTS, { maxPorts: 1 }),
  async run(t) {
    const id = '6888-3-req8-configurable';
    const L = t.config.timeouts.udp;
    const at = timeline(t);
    const both = [await open(t, 'udp', C6A, 40000, S4), await open(t, 'udp', C6B, 40000, S4)];
    if (!setupOk(t, [id], `${C6A} and ${C6B} take the two UDP ports of ${LAB.pool4[0]}`, both)) return;
    await at(L + 1);
    const c = await open(t, 'udp', C6C, 40000, S4);
    const d = await open(t, 'udp', C6D, 40000, S4);
    const q = t.config.limits?.quarantine;
    const rb = !q || q.maxPorts === 1;
    t.expect(
      id,
      'with room for one quarantined port, one of the two freed ports is reallocated and the other is not',
      !!c.map && !d.map && rb,
      `${describe(c)}; ${describe(d)}${q ? `; configured value read back: maxPorts ${q.maxPorts}` : ''}`,
      [...seenOf(c.ex), ...seenOf(d.ex)],
    );
  },
};

export const quarantineCases: CaseDef[] = [defaultQuarantine, configuredTime, configuredSize];
