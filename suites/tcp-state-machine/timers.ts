/**
 * The TCP timeouts as settings: RFC 6146 §3.5.2.2 and §4 (the maximum
 * session lifetime MAY be configurable but MUST NOT be less than TCP_EST;
 * TCP_TRANS 4 min), RFC 5382 REQ-5 (2 h 4 min and 4 min minimums, REQ-5a
 * configurable) and RFC 7857 §2.1 (separate settings for the partially open
 * and the closing phase; its MAY of going below 4 min conflicts with RFC
 * 5382 REQ-5 and RFC 6146, which bind a NAT64: conflict 5 of the catalogue).
 *
 * A minimum is checked by the refusal of a smaller value (t.attempt) and by
 * reading the running value, never by waiting hours; whether a setting
 * takes effect is then observed on a short timeline where the target allows.
 */
import type { CaseDef } from '../../harness/runner/case';
import { SUITE, conn, data, emitted, establishAll, expect6, from4, from6, open, timeline, whatCameOut } from './lib';
import { only } from '../lib/flows';

const TOO_SHORT: { key: 'tcpEstablished' | 'tcpTransitory' | 'tcpInit'; value: number; ids: string[]; why: string }[] = [
  { key: 'tcpEstablished', value: 3600, ids: ['6146-3.5.2.2-est-lifetime-min', '5382-5-req5-est'], why: 'below TCP_EST (7200 s)' },
  { key: 'tcpEstablished', value: 7199, ids: ['6146-3.5.2.2-est-lifetime-min', '5382-5-req5-est'], why: 'one second below TCP_EST (with TCP_TRANS, under 2 h 4 min)' },
  { key: 'tcpTransitory', value: 60, ids: ['5382-5-req5-trans'], why: 'below 4 min' },
  { key: 'tcpTransitory', value: 239, ids: ['5382-5-req5-trans'], why: 'one second below 4 min' },
  { key: 'tcpInit', value: 60, ids: ['5382-5-req5-trans'], why: 'a partially open timeout below 4 min' },
];

const refused: CaseDef = {
  id: 'timeouts-below-minimum-refused',
  suite: SUITE,
  title: 'TCP timeouts below TCP_EST (2 h) or 4 min are refused, and the running ones are at least that',
  requirements: ['6146-3.5.2.2-est-lifetime-min', '5382-5-req5-est', '5382-5-req5-trans', '7857-2.1-below-4min'],
  async run(t) {
    // A control first: a target that refuses every TCP timeout change cannot pass by refusing.
    const control = await t.attempt({ timeouts: { tcpEstablished: 10800, tcpTransitory: 300 } });
    if (!control.accepted) t.na(`the target does not accept valid TCP timeouts either (${control.reason})`);
    t.note('control: tcpEstablished 10800 s, tcpTransitory 300 s accepted');
    for (const r of TOO_SHORT) {
      const a = await t.attempt({ timeouts: { [r.key]: r.value } });
      t.expect(
        r.ids,
        `${r.key} = ${r.value} s (${r.why}) is refused`,
        !a.accepted,
        a.accepted ? `accepted: the target would run with ${r.key} ${a.config.timeouts[r.key]} s` : `refused: ${a.reason}`,
      );
      if (r.key === 'tcpTransitory' && r.value === 60) {
        t.behaviour('7857-2.1-below-4min', 'a transitory timeout under 4 min (60 s) can be configured', a.accepted ? 'yes (RFC 7857 §2.1 MAY; RFC 5382 REQ-5 and RFC 6146 forbid it for a NAT64)' : `no: ${a.reason}`);
      }
    }
    const { tcpEstablished, tcpTransitory, tcpInit } = t.config.timeouts;
    t.expect(['6146-3.5.2.2-est-lifetime-min', '5382-5-req5-est'], 'the running established timeout is at least TCP_EST (7200 s)', tcpEstablished >= 7200, `${tcpEstablished} s`);
    t.expect('5382-5-req5-trans', 'the running transitory timeouts are at least 4 min', tcpTransitory >= 240 && tcpInit >= 240, `closing ${tcpTransitory} s, partially open ${tcpInit} s`);
  },
};

/** Settings of the next case: three distinct values, each observable. */
const SET = { tcpEstablished: 10800, tcpTransitory: 240, tcpInit: 600 };

const configurable: CaseDef = {
  id: 'timeouts-configurable-separately',
  suite: SUITE,
  title: 'The established, partially-open and closing TCP timeouts are separate settings, each in effect (3 h, 10 min, 4 min)',
  requirements: ['7857-2.1-separate-timeouts', '5382-5-req5a-config', '6146-3.5.2.2-est-lifetime-config'],
  needs: { timeouts: SET },
  async run(t) {
    const cfg = t.config.timeouts;
    t.expect(
      '7857-2.1-separate-timeouts',
      'the partially-open and the closing timeouts are two settings, here 600 s and 240 s',
      cfg.tcpInit === SET.tcpInit && cfg.tcpTransitory === SET.tcpTransitory,
      `partially open ${cfg.tcpInit} s, closing ${cfg.tcpTransitory} s`,
    );
    const half = conn(t, { cport: 45000 });
    const [closing, idle, gone] = [45001, 45002, 45003].map((cport) => conn(t, { cport }));
    if (!(await open(t, half))) {
      t.expect(this.requirements, 'the half-open connection\'s SYN is translated', false, 'no single SYN came out');
      return;
    }
    if (!(await establishAll(t, this.requirements, [closing, idle, gone]))) return;
    await from6(t, closing, { rst: true, ack: true });
    const clock = timeline(t);
    // The closing (TRANS) session follows its own 240 s ...
    await clock.at(SET.tcpTransitory + 1);
    const dc = await from4(t, closing, { ack: true, psh: true }, data('closing'));
    t.expect('7857-2.1-separate-timeouts', `${SET.tcpTransitory + 1} s after a RST the session is gone (closing timeout ${SET.tcpTransitory} s)`, dc.ex.out6.length === 0, whatCameOut(dc.ex), emitted(dc.ex));
    // ... while the half-open one lives by the 600 s setting.
    await clock.at(SET.tcpInit - 10);
    const sa = await from4(t, half, { syn: true, ack: true });
    t.expectPacket('7857-2.1-separate-timeouts', `a SYN+ACK ${SET.tcpInit - 10} s after the SYN reaches the client (partially-open timeout ${SET.tcpInit} s)`, only(sa.ex.out6), expect6(half, sa.packet));
    // The 3 h established timeout: alive after 3 h minus 10 s, gone after 3 h + TCP_TRANS.
    await clock.at(SET.tcpEstablished - 10);
    const di = await from4(t, idle, { ack: true, psh: true }, data('3 h'));
    const end = SET.tcpEstablished + SET.tcpTransitory + 1;
    await clock.at(end);
    const dg = await from4(t, gone, { ack: true, psh: true }, data('after 3 h'));
    const alive = di.ex.out6.length === 1;
    const ended = dg.ex.out6.length === 0;
    const detail = `${SET.tcpEstablished - 10} s: ${alive ? 'delivered' : whatCameOut(di.ex)}; ${end} s: ${ended ? 'not delivered' : 'still delivered'}`;
    const effect = alive && ended ? `yes, 3 h in effect (${detail})` : `not as configured (${detail})`;
    t.behaviour('6146-3.5.2.2-est-lifetime-config', 'the maximum session lifetime can be set (3 h)', effect, [...emitted(di.ex), ...emitted(dg.ex)]);
    t.behaviour('5382-5-req5a-config', 'the TCP idle timeouts can be set (3 h, 10 min, 4 min)', `accepted; established: ${effect}; partially open and closing: see the checks of 7857-2.1-separate-timeouts`);
  },
};

export const timerCases: CaseDef[] = [refused, configurable];
