/**
 * The benchmark's measurement functions on tiny counts: the report has the
 * promised shape and every measured packet was really translated. No
 * timing is asserted (figures depend on the machine).
 */
import { expect } from 'chai';
import { decode } from '../../harness/packet/codec';
import {
  BenchProfile,
  BenchReport,
  PhaseResult,
  establishUdp,
  icmpEcho6to4,
  pushLoop,
  rig,
  runAll,
  tcpSynNewSessions,
  udp4to6Established,
  udp6to4Established,
  udpNewSessions,
} from '../../bench/measure';
import { payloadOf, udp6, flow6 } from '../../bench/packets';

/** Counts only (no time budget), so every figure below is exact. */
const TINY: BenchProfile = {
  name: 'tiny',
  flows: 8,
  payloadBytes: 64,
  warmupPackets: 10,
  warmupSeconds: Infinity,
  packets: 40,
  newSessions: 30,
  seconds: Infinity,
  batch: 7,
  clockStepMs: 1,
};

const Q = { quiet: true };

function expectPhase(r: PhaseResult, name: string, packets: number, unit: PhaseResult['unit']): void {
  expect(r.name).to.equal(name);
  expect(r.unit).to.equal(unit);
  expect(r.description).to.be.a('string').and.not.equal('');
  expect(r.packets, 'measured packets').to.equal(packets);
  expect(r.translated, 'every input produced exactly one packet on the other side').to.equal(packets);
  expect(r.unexpected).to.equal(0);
  for (const k of ['seconds', 'rate', 'nsPerPacket', 'cpuSeconds', 'cpuNsPerPacket', 'warmupPackets'] as const) {
    expect(r[k], k).to.be.a('number');
    expect(Number.isFinite(r[k]), `${k} finite`).to.equal(true);
    expect(r[k], k).to.be.at.least(0);
  }
}

describe('bench (measurement functions, tiny counts)', () => {
  it('UDP 6->4 and 4->6 on established flows: one IPv4 output per IPv6 input and back', () => {
    const est = establishUdp(TINY);
    expect(est.out6).to.have.length(TINY.flows);
    expect(est.in4).to.have.length(TINY.flows);
    expect(est.rig.translator.bib().filter((e) => e.protocol === 'udp')).to.have.length(TINY.flows);

    const r64 = udp6to4Established(TINY, est, Q);
    expectPhase(r64, 'udp6to4Established', TINY.packets, 'packets/s');
    expect(r64.warmupPackets).to.equal(TINY.warmupPackets);
    expect(r64.flows).to.equal(TINY.flows);

    const r46 = udp4to6Established(TINY, est, Q);
    expectPhase(r46, 'udp4to6Established', TINY.packets, 'packets/s');
    // No new state: the replies matched the flows opened from the IPv6 side.
    expect(est.rig.translator.bib().filter((e) => e.protocol === 'udp')).to.have.length(TINY.flows);
  });

  it('the pre-encoded inputs are what the phases claim (decoded outputs)', () => {
    const est = establishUdp(TINY);
    const f = est.flows[3];
    const [o4] = est.rig.translator.push(6, est.out6[3]);
    const p4 = decode(o4.bytes);
    expect(o4.side).to.equal(4);
    expect(p4.ipv4?.dst).to.equal(f.server4);
    expect(p4.udp?.dport).to.equal(f.dport);
    expect(p4.payload?.length).to.equal(TINY.payloadBytes);
    const [o6] = est.rig.translator.push(4, est.in4[3]);
    const p6 = decode(o6.bytes);
    expect(o6.side).to.equal(6);
    expect(p6.ipv6?.dst).to.equal(f.client);
    expect(p6.ipv6?.src).to.equal(f.server6);
    expect(p6.udp?.dport).to.equal(f.sport);
    expect(p6.udp?.sport).to.equal(f.dport);
  });

  it('the loop counts what is not translated 1:1 as unexpected', () => {
    const r = rig(9);
    const junk = [Buffer.from([0x60, 0, 0, 0]), udp6({ ...flow6(0, 7), server6: '2001:db8:99::1' }, payloadOf(8))];
    const c = pushLoop(r, 6, junk, 6, { batch: 4, clockStepMs: 1, seconds: Infinity, cycle: true });
    expect(c.packets).to.equal(6);
    expect(c.translated).to.equal(0);
    expect(c.unexpected).to.equal(6);
  });

  it('new UDP sessions: one BIB entry and one session per input', () => {
    const r = udpNewSessions(TINY, Q);
    expectPhase(r, 'udpNewSessions', TINY.newSessions, 'sessions/s');
    expect(r.bibSize).to.equal(TINY.newSessions);
    expect(r.sessions).to.equal(TINY.newSessions);
  });

  it('new TCP sessions from SYNs: one BIB entry and one session per SYN', () => {
    const r = tcpSynNewSessions(TINY, Q);
    expectPhase(r, 'tcpSynNewSessions', TINY.newSessions, 'sessions/s');
    expect(r.bibSize).to.equal(TINY.newSessions);
    expect(r.sessions).to.equal(TINY.newSessions);
  });

  it('ICMP echo 6->4: one ICMPv4 packet per echo request', () => {
    const r = icmpEcho6to4(TINY, Q);
    expectPhase(r, 'icmpEcho6to4', TINY.packets, 'packets/s');
    expect(r.flows).to.equal(TINY.flows);
  });

  it('runAll: one JSON document with every phase and the machine description', () => {
    const report: BenchReport = JSON.parse(JSON.stringify(runAll(TINY, Q)));
    expect(report.profile).to.equal('tiny');
    expect(report.node).to.equal(process.version);
    expect(report.cpu.model).to.be.a('string');
    expect(report.cpu.logicalCpus).to.be.a('number');
    expect(Number.isNaN(Date.parse(report.date))).to.equal(false);
    expect(report.config.pool6).to.equal('2001:db8:64::/96');
    expect(report.config.flows).to.equal(TINY.flows);
    expect(Object.keys(report.results)).to.have.members([
      'udp6to4Established',
      'udp4to6Established',
      'udpNewSessions',
      'icmpEcho6to4',
      'tcpSynNewSessions',
    ]);
    expectPhase(report.results.udp6to4Established, 'udp6to4Established', TINY.packets, 'packets/s');
    expectPhase(report.results.udp4to6Established, 'udp4to6Established', TINY.packets, 'packets/s');
    expectPhase(report.results.udpNewSessions, 'udpNewSessions', TINY.newSessions, 'sessions/s');
    expectPhase(report.results.icmpEcho6to4, 'icmpEcho6to4', TINY.packets, 'packets/s');
    expectPhase(report.results.tcpSynNewSessions, 'tcpSynNewSessions', TINY.newSessions, 'sessions/s');
    expect(report.results.udpNewSessions.bibSize).to.equal(TINY.newSessions);
    expect(report.results.tcpSynNewSessions.bibSize).to.equal(TINY.newSessions);
  });
});
