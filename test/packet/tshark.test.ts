/**
 * Independent cross-check of the codec with a real dissector: generated
 * packets go into a pcap (LINKTYPE_RAW), tshark reads them back with checksum
 * validation on, and
 *  - valid packets must show no malformed frame, no bad checksum (tshark must
 *    find every outer checksum good) and no error-level expert item;
 *  - deliberately broken packets must each be flagged, at that frame only,
 *    for exactly the defect put in.
 *
 * Without tshark on PATH the suite is skipped, unless CI is set: CI must run
 * the cross-check, so there it fails. Seeded (generate.ts DEFAULT_SEED unless
 * PACKET_SEED=<n> replays a run or PACKET_SEED=random explores); the seed is
 * printed in the suite title and on failure. TSHARK=<path> picks the binary,
 * KEEP_PCAP=1 keeps the captures.
 *
 * tshark 4.0 preference names (from `tshark -G defaultprefs`): ip / udp / tcp
 * `.check_checksum` (off by default); ICMP and ICMPv6 checksums are always
 * verified and have no preference.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { decode, encode } from '../../harness/packet/codec';
import { LINKTYPE, PcapWriter } from '../../harness/packet/pcap';
import { ExtensionHeader, Packet, RoutingHeader } from '../../harness/packet/types';
import { DEFECTS, Defect, QUIET_PORTS, Rng, allNotes, generateBrokenPacket, generateValidPacket, makeRng, seedFromEnv, show } from './generate';

const SEED = seedFromEnv();
const TSHARK = process.env.TSHARK ?? 'tshark';

/** Wireshark expert severities and groups (epan/proto.h), as tshark prints them. */
const PI_ERROR = 0x00800000;
const PI_WARN = 0x00600000;
const PI_CHECKSUM = 0x01000000;
const PI_MALFORMED = 0x07000000;

/** Wireshark's checksum status values (PROTO_CHECKSUM_E_*). */
const CK_BAD = 0;
const CK_GOOD = 1;
const CK_ILLEGAL = 4;

/** `icmp.ext`: the RFC 4884 extension structure checksum (ICMPv4 and ICMPv6 share the dissector). */
const CHECKSUM_FIELDS = ['ip', 'udp', 'tcp', 'icmp', 'icmpv6', 'icmp.ext'] as const;
type ChecksumField = (typeof CHECKSUM_FIELDS)[number];

interface Expert {
  severity: number;
  group: number;
  message: string;
}

interface FrameReport {
  frame: number;
  malformed: boolean;
  experts: Expert[];
  /** Checksum status per protocol, in tree order: the outer packet first, then any quoted packet. */
  status: Record<ChecksumField, number[]>;
}

function tsharkVersion(): string | undefined {
  const r = spawnSync(TSHARK, ['--version'], { encoding: 'utf8', timeout: 20000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0];
}

/** The tshark command line (without the file), also printed on failure. */
function tsharkArgs(file: string): string[] {
  const [lo, hi] = QUIET_PORTS;
  return [
    '-n',
    '-r', file,
    '-o', 'ip.check_checksum:TRUE',
    '-o', 'udp.check_checksum:TRUE',
    '-o', 'tcp.check_checksum:TRUE',
    // Judge each frame on its own: no retransmission / D-SACK analysis across frames.
    '-o', 'tcp.analyze_sequence_numbers:FALSE',
    // Random payloads on the generator's ports are data, not some protocol's malformed PDU.
    '-d', `udp.port==${lo}-${hi},data`,
    '-d', `tcp.port==${lo}-${hi},data`,
    '-T', 'json',
    '-e', 'frame.number',
    '-e', '_ws.malformed',
    '-e', '_ws.expert.severity',
    '-e', '_ws.expert.group',
    '-e', '_ws.expert.message',
    ...CHECKSUM_FIELDS.flatMap((f) => ['-e', `${f}.checksum.status`]),
  ];
}

function runTshark(packets: Buffer[], dir: string, name: string): { reports: FrameReport[]; command: string } {
  // harness/packet/pcap.ts's writer: classic pcap, LINKTYPE_RAW (101), the IP packet as the record.
  const writer = new PcapWriter({ linkType: LINKTYPE.RAW, startTime: 1_700_000_000_000_000 });
  for (const p of packets) writer.add(p);
  const file = join(dir, name);
  writer.writeFileSync(file);
  const args = tsharkArgs(file);
  const command = `${TSHARK} ${args.map((a) => (/[\s=|<>]/.test(a) ? `'${a}'` : a)).join(' ')}`;
  const out = execFileSync(TSHARK, args, { encoding: 'utf8', timeout: 60000, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const json = JSON.parse(out) as { _source: { layers: Record<string, string[]> } }[];
  const reports = json.map((f): FrameReport => {
    const l = f._source.layers;
    const sev = l['_ws.expert.severity'] ?? [];
    const grp = l['_ws.expert.group'] ?? [];
    const msg = l['_ws.expert.message'] ?? [];
    const status = Object.fromEntries(CHECKSUM_FIELDS.map((c) => [c, (l[`${c}.checksum.status`] ?? []).map(Number)])) as Record<ChecksumField, number[]>;
    return {
      frame: Number(l['frame.number']?.[0]),
      malformed: (l['_ws.malformed'] ?? []).length > 0,
      experts: sev.map((s, i) => ({ severity: Number(s), group: Number(grp[i]), message: msg[i] ?? '' })),
      status,
    };
  });
  return { reports, command };
}

/** True when a quote in the packet is cut short: tshark then verifies quoted checksums over the partial bytes. */
function hasTruncatedQuote(d: Packet): boolean {
  return allNotes(d).some((n) => n.startsWith('quote: ') && /truncated|cut short/.test(n));
}

/**
 * What tshark found wrong in a frame, as tokens: `malformed`, `<proto>.checksum.bad|illegal`,
 * `error:<message>` for error-level expert items other than checksums, and `warn:<message>` for
 * the warnings that stand for a defect.
 */
const DEFECT_WARNINGS = [/payload length exceeds framing length/];

function problemTokens(r: FrameReport, d: Packet): string[] {
  const out: string[] = [];
  if (r.malformed) out.push('malformed');
  // Quoted transport checksums of a cut quote are computed by tshark over what is there, and so
  // come out "bad"; the codec cannot compute them at all. Only the outer ones count then.
  const cut = hasTruncatedQuote(d);
  for (const f of CHECKSUM_FIELDS) {
    r.status[f].forEach((s, i) => {
      if (cut && (f === 'udp' || f === 'tcp' || ((f === 'icmp' || f === 'icmpv6') && i > 0))) return;
      if (s === CK_BAD) out.push(`${f}.checksum.bad`);
      if (s === CK_ILLEGAL) out.push(`${f}.checksum.illegal`);
    });
  }
  for (const e of r.experts) {
    // "Malformed Packet (Exception occurred)" is the expert item behind _ws.malformed: already `malformed`.
    if (e.group === PI_MALFORMED && e.message.startsWith('Malformed Packet')) continue;
    if (e.severity === PI_ERROR && e.group !== PI_CHECKSUM) out.push(`error:${e.message}`);
    if (e.severity === PI_WARN && DEFECT_WARNINGS.some((w) => w.test(e.message))) out.push(`warn:${e.message}`);
  }
  return out;
}

function describeFrame(r: FrameReport | undefined, bytes: Buffer, p: Packet, extra = ''): string {
  const experts = r ? r.experts.map((e) => `    [${e.severity === PI_ERROR ? 'error' : e.severity === PI_WARN ? 'warn' : e.severity.toString(16)}] ${e.message}`).join('\n') : '    (no frame)';
  return `frame ${r?.frame ?? '?'}${extra}\n  status ${r ? show(r.status) : '-'} malformed=${r?.malformed}\n  tshark said:\n${experts}\n  bytes ${bytes.toString('hex')}\n  packet ${show(p)}`;
}

/**
 * Packets that tshark 4.0 cannot read for reasons of its own, not of the packet:
 *  - LINKTYPE_RAW: the "raw" dissector takes octets 1-2 (or 6-7) equal to ff 03, or ten leading
 *    zero octets, for PPP in HDLC framing (old Linux / ISDN drivers) before it looks at the
 *    version nibble; an IPv6 traffic class + flow label of .f:f03.. hits that;
 *  - an IPv6 packet (or quoted packet) that ends with a Hop-by-Hop or Destination Options header
 *    whose last option is Pad1 (RFC 8200 §4.2, the right padding for one octet): tshark reads a
 *    length octet after it too, past the end, and reports "Malformed Packet (Exception occurred)".
 * Such packets are drawn again (and counted in the output).
 */
function tsharkQuirk(bytes: Buffer, d: Packet): string | undefined {
  if ((bytes[1] === 0xff && bytes[2] === 0x03) || (bytes[6] === 0xff && bytes[7] === 0x03) || bytes.subarray(0, 10).every((b) => b === 0)) {
    return 'raw-link PPP heuristic';
  }
  const endsInPad1 = (q: Packet): boolean => {
    const exts = q.ipv6?.extensions ?? [];
    const last = exts[exts.length - 1];
    const opts = last && (last.kind === 'hop-by-hop' || last.kind === 'destination') ? last.options ?? [] : [];
    const nothingAfter = !q.udp && !q.tcp && !q.icmpv4 && !q.icmpv6 && !(q.payload && q.payload.length);
    if (nothingAfter && opts.length && opts[opts.length - 1].type === 0) return true;
    const quote = q.icmpv4?.quote ?? q.icmpv6?.quote;
    return !!quote && endsInPad1(quote);
  };
  return endsInPad1(d) ? 'trailing Pad1 read past the end' : undefined;
}

/** `make()` until tshark can read the result (see `tsharkQuirk`); counts the redraws. */
function drawReadable<T extends { packet: Packet }>(make: () => T, redraws: Map<string, number>): T {
  for (;;) {
    const x = make();
    const q = tsharkQuirk(encode(x.packet), decode(encode(x.packet)));
    if (!q) return x;
    redraws.set(q, (redraws.get(q) ?? 0) + 1);
  }
}

function reportRedraws(redraws: Map<string, number>): void {
  if (redraws.size) console.log(`      (drawn again for tshark quirks: ${[...redraws].map(([k, v]) => `${v} × ${k}`).join('; ')})`);
}

/** Puts a routing header with segments left > 0 into a valid IPv6 packet: tshark must then use the final destination too. */
function withSourceRoute(rng: Rng, p: Packet): Packet {
  const h = p.ipv6!;
  const addr = () => Buffer.concat([Buffer.from('20010db8', 'hex'), rng.bytes(12)]);
  const type = rng.pick([0, 2, 4]);
  let r: RoutingHeader;
  if (type === 0) {
    const n = rng.int(1, 3);
    r = { kind: 'routing', routingType: 0, segmentsLeft: rng.int(1, n), data: Buffer.concat([Buffer.alloc(4), ...Array.from({ length: n }, addr)]) };
  } else if (type === 2) {
    r = { kind: 'routing', routingType: 2, segmentsLeft: 1, data: Buffer.concat([Buffer.alloc(4), addr()]) };
  } else {
    const n = rng.int(1, 3);
    r = { kind: 'routing', routingType: 4, segmentsLeft: rng.int(1, n), data: Buffer.concat([Buffer.from([n - 1, 0, 0, 0]), ...Array.from({ length: n }, addr)]) };
  }
  const exts: ExtensionHeader[] = (h.extensions ?? []).filter((e) => e.kind !== 'routing');
  exts.splice(exts[0]?.kind === 'hop-by-hop' ? 1 : 0, 0, r);
  h.extensions = exts;
  return p;
}

interface DefectSignature {
  /** Tokens that must all be present. */
  requires: RegExp[];
  /** Further tokens the defect may bring along. */
  allows?: RegExp[];
}

const SIGNATURES: Record<Defect, DefectSignature> = {
  'bad-ipv4-checksum': { requires: [/^ip\.checksum\.bad$/] },
  'bad-udp-checksum': { requires: [/^udp\.checksum\.bad$/] },
  'bad-tcp-checksum': { requires: [/^tcp\.checksum\.bad$/] },
  'bad-icmpv4-checksum': { requires: [/^icmp\.checksum\.bad$/] },
  'bad-icmpv6-checksum': { requires: [/^icmpv6\.checksum\.bad$/] },
  'zero-udp-checksum-ipv6': { requires: [/^udp\.checksum\.illegal$/] },
  'short-ipv4-total-length': { requires: [/^error:Bogus IP length/] },
  'short-ipv4-ihl': { requires: [/^error:Bogus IP header length/] },
  'udp-length-mismatch': { requires: [/^error:Bad length value/], allows: [/^malformed$/] },
  'short-tcp-data-offset': { requires: [/^error:Bogus TCP header length/] },
  'long-ipv6-payload-length': { requires: [/^warn:IPv6 payload length exceeds framing length/] },
};

describe(`tshark cross-check (seed ${SEED})`, function () {
  this.timeout(60000);
  let dir = '';

  before(function () {
    const version = tsharkVersion();
    if (!version) {
      if (process.env.CI) {
        throw new Error(`${TSHARK} is not on PATH but CI is set: CI must run the tshark cross-check (apt-get install -y tshark)`);
      }
      console.log(`      SKIPPED: ${TSHARK} is not on PATH (install tshark to run the cross-check; with CI set this fails)`);
      this.skip();
    }
    console.log(`      using ${version}`);
    dir = mkdtempSync(join(tmpdir(), 'nat64lab-tshark-'));
  });

  after(() => {
    if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`      captures kept in ${dir}`);
  });

  it('300 valid packets: nothing malformed, every checksum good, no error-level expert info', () => {
    const rng = makeRng(SEED ^ 0x7500);
    const redraws = new Map<string, number>();
    const packets: Packet[] = [];
    for (let i = 0; i < 270; i++) packets.push(drawReadable(() => ({ packet: generateValidPacket(rng) }), redraws).packet);
    // RFC 8200 §8.1: with segments left, the pseudo-header holds the routing header's final destination.
    for (let i = 0; i < 30; i++) {
      const upper = rng.pick(['udp', 'tcp', 'icmp-echo'] as const);
      packets.push(drawReadable(() => ({ packet: withSourceRoute(rng, generateValidPacket(rng, { family: 6, upper })) }), redraws).packet);
    }
    rng.shuffle(packets);
    reportRedraws(redraws);
    const bytes = packets.map((p) => encode(p));
    const { reports, command } = runTshark(bytes, dir, 'valid.pcap');
    expect(reports.map((r) => r.frame)).to.deep.equal(bytes.map((_, i) => i + 1), 'tshark read every frame, in order');

    const failures: string[] = [];
    let good = 0;
    let extensions = 0;
    let extensionsVerified = 0;
    reports.forEach((r, i) => {
      const d = decode(bytes[i]);
      const problems = problemTokens(r, d);
      // The outer checksums must each have been verified as good, not merely "not bad".
      const outer: [ChecksumField, boolean][] = [
        ['ip', !!d.ipv4],
        ['udp', !!d.udp],
        ['tcp', !!d.tcp],
        ['icmp', !!d.icmpv4],
        ['icmpv6', !!d.icmpv6],
      ];
      for (const [f, present] of outer) {
        if (!present) continue;
        if (r.status[f][0] === CK_GOOD) good++;
        else problems.push(`${f}.checksum.status ${r.status[f][0] ?? 'absent'} (want ${CK_GOOD}, good)`);
      }
      // tshark 4.0 does not always dissect an RFC 4884 extension structure (not after a Parameter
      // Problem, nor after a quoted ICMP message); where it does, its checksum must be good.
      if (d.icmpv4?.extensions ?? d.icmpv6?.extensions) {
        extensions++;
        const st = r.status['icmp.ext'][0];
        if (st === CK_GOOD) extensionsVerified++;
        else if (st !== undefined) problems.push(`icmp.ext.checksum.status ${st} (want ${CK_GOOD}, good)`);
      }
      if (problems.length) failures.push(`${problems.join(', ')}\n${describeFrame(r, bytes[i], packets[i])}`);
    });
    if (failures.length) {
      expect.fail(`${failures.length} of ${reports.length} valid frames flagged (replay with PACKET_SEED=${SEED})\n${command}\n\n${failures.slice(0, 8).join('\n\n')}`);
    }
    expect(good).to.be.greaterThan(300);
    console.log(`      (${good} outer checksums verified good by tshark; RFC 4884 extension checksums: ${extensionsVerified} of ${extensions} verified)`);
  });

  it('broken packets: each defect is flagged at its own frame and nowhere else', () => {
    const rng = makeRng(SEED ^ 0x7600);
    const redraws = new Map<string, number>();
    const broken = DEFECTS.flatMap((d) => Array.from({ length: 8 }, () => drawReadable(() => generateBrokenPacket(rng, d), redraws)));
    rng.shuffle(broken);
    reportRedraws(redraws);
    const bytes = broken.map((b) => encode(b.packet));
    const { reports, command } = runTshark(bytes, dir, 'broken.pcap');
    expect(reports.length).to.equal(bytes.length, 'tshark read every frame');

    const failures: string[] = [];
    const seen = new Map<Defect, number>();
    reports.forEach((r, i) => {
      const { defect, detail, packet } = broken[i];
      const sig = SIGNATURES[defect];
      const tokens = problemTokens(r, decode(bytes[i]));
      const missing = sig.requires.filter((re) => !tokens.some((t) => re.test(t)));
      const unexplained = tokens.filter((t) => ![...sig.requires, ...(sig.allows ?? [])].some((re) => re.test(t)));
      if (missing.length || unexplained.length) {
        const what = [
          missing.length ? `not flagged: ${missing.map(String).join(', ')}` : '',
          unexplained.length ? `also flagged: ${unexplained.join(', ')}` : '',
        ].filter(Boolean);
        failures.push(`${defect} (${detail}): ${what.join('; ')}\n${describeFrame(r, bytes[i], packet)}`);
      } else {
        seen.set(defect, (seen.get(defect) ?? 0) + 1);
      }
    });
    if (failures.length) {
      expect.fail(`${failures.length} of ${reports.length} broken frames not flagged as expected (replay with PACKET_SEED=${SEED})\n${command}\n\n${failures.slice(0, 8).join('\n\n')}`);
    }
    for (const d of DEFECTS) expect(seen.get(d), d).to.equal(8);
  });
});
