import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { openTun, Tun } from '../../harness/io/tun';
import { checksumsValid, decode, encode } from '../../harness/packet/codec';
import { Netns } from '../../harness/lab/netns';
import { TunLab, isKernelNoise } from '../../harness/lab/tun-lab';
import type { EffectiveConfig, LabSession } from '../../harness/lab/target';
import { needRoot, testName } from './lab-helpers';

const config = { pool6: '2001:db8:64::/96', pool4: [], filtering: 'endpoint-independent', staticBib: [] } as unknown as EffectiveConfig;

const udp6 = (hopLimit: number, text: string) =>
  encode({ ipv6: { src: '2001:db8:6::2', dst: '2001:db8:64::c612:2', hopLimit }, udp: { sport: 40000, dport: 7 }, payload: Buffer.from(text) });
const udp4 = (ttl: number, text: string, dst = '198.18.0.2') =>
  encode({ ipv4: { src: '198.18.1.9', dst, ttl, id: 1 }, udp: { sport: 7, dport: 40000 }, payload: Buffer.from(text) });

describe('lab: kernel noise filter', () => {
  // An MLDv2 report as the kernel sends it: Router Alert in a hop-by-hop header before the ICMPv6 message.
  const mld = (src: string) =>
    encode({
      ipv6: { src, dst: 'ff02::16', hopLimit: 1, extensions: [{ kind: 'hop-by-hop', options: [{ type: 5, data: Buffer.from([0, 0]) }] }] },
      icmpv6: { type: 143, rest: 1 },
      payload: Buffer.alloc(20),
    });

  it('builds the MLD sample with its hop-by-hop header (so the walk over extension headers is exercised)', () => {
    expect(mld('::')[6]).to.equal(0);
  });

  it('drops MLD, RS/RA/NS/NA from link-local or unspecified sources, and IGMP', () => {
    expect(isKernelNoise(mld('::'))).to.equal(true);
    expect(isKernelNoise(mld('fe80::1'))).to.equal(true);
    expect(isKernelNoise(encode({ ipv6: { src: 'fe80::1', dst: 'ff02::2', hopLimit: 255 }, icmpv6: { type: 133 } }))).to.equal(true);
    expect(isKernelNoise(encode({ ipv4: { src: '198.18.0.1', dst: '224.0.0.22', ttl: 1, protocol: 2 }, payload: Buffer.alloc(8) }))).to.equal(true);
  });

  it('keeps what a translator may emit: ICMPv6 from global sources, echo from link-local, other traffic, and garbage', () => {
    expect(isKernelNoise(mld('2001:db8:6::1'))).to.equal(false);
    expect(isKernelNoise(encode({ ipv6: { src: 'fe80::1', dst: '2001:db8:6::2' }, icmpv6: { type: 1, code: 0 } }))).to.equal(false);
    expect(isKernelNoise(encode({ ipv6: { src: 'fe80::1', dst: 'ff02::1' }, icmpv6: { type: 128, id: 1, seq: 1 } }))).to.equal(false);
    expect(isKernelNoise(udp6(64, 'x'))).to.equal(false);
    expect(isKernelNoise(Buffer.from([0x60, 1, 2]))).to.equal(false);
    expect(isKernelNoise(Buffer.alloc(0))).to.equal(false);
  });
});

describe('lab: TUN lab in a namespace', function () {
  let ns: Netns | undefined;
  let lab: TunLab | undefined;
  let dut: Tun | undefined;
  let session: LabSession | undefined;

  beforeEach(async function () {
    needRoot(this);
    ns = await Netns.create(testName('n'));
    lab = await TunLab.create(ns, { tun6: testName('6'), tun4: testName('4') });
  });

  afterEach(async () => {
    await session?.close();
    dut?.close();
    await lab?.close();
    await ns?.delete();
    session = dut = lab = ns = undefined;
  });

  /** The "DUT": a TUN the test opens and moves into the namespace, as a daemon under test would own it. */
  async function echoDut(): Promise<Tun> {
    const t = openTun(testName('d'));
    execFileSync('ip', ['link', 'set', t.name, 'netns', ns!.name]);
    await ns!.ip(`link set ${t.name} addrgenmode none`);
    await ns!.ip(`link set ${t.name} up`);
    return t;
  }

  function dutRead(t: Tun): Buffer | undefined {
    const buf = Buffer.alloc(65536);
    const end = Date.now() + 2000;
    while (Date.now() < end) {
      if (!t.waitReadable(end - Date.now())) return undefined;
      const n = t.read(buf);
      if (n < 0) continue;
      const p = Buffer.from(buf.subarray(0, n));
      if (!isKernelNoise(p)) return p;
    }
    return undefined;
  }

  it('moves both TUNs into the namespace, up, with no IPv6 link-local address and IPv6 off on the IPv4 side', async () => {
    const links = execFileSync('ip', ['-n', ns!.name, '-o', 'addr'], { encoding: 'utf8' });
    expect(links).to.not.match(new RegExp(`${lab!.tun6.name}\\s+inet6 fe80`));
    const up = execFileSync('ip', ['-n', ns!.name, '-o', 'link'], { encoding: 'utf8' });
    for (const t of [lab!.tun6, lab!.tun4]) expect(up).to.match(new RegExp(`${t.name}: <[^>]*\\bUP\\b`));
    const off = (await ns!.exec(['cat', `/proc/sys/net/ipv6/conf/${lab!.tun4.name}/disable_ipv6`])).stdout.trim();
    expect(off).to.equal('1');
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).to.not.include(lab!.tun6.name);
  });

  it('redirect wiring: packets cross harness → DUT → harness on the right side with no TTL or hop-limit change', async () => {
    dut = await echoDut();
    await lab!.redirectTo(dut.name);
    lab!.drain();
    session = lab!.session(config);

    const sent6 = udp6(64, 'six');
    await session.send(6, sent6);
    const atDut6 = dutRead(dut);
    expect(atDut6, 'the DUT read the IPv6 packet').to.deep.equal(sent6);

    const sent4 = udp4(64, 'four');
    await session.send(4, sent4);
    expect(dutRead(dut), 'the DUT read the IPv4 packet').to.deep.equal(sent4);

    // The DUT answers on its own TUN: IPv6 must come out on side 6, IPv4 on side 4, unchanged.
    const back6 = udp6(17, 'back6');
    const back4 = udp4(33, 'back4');
    dut.write(back6);
    dut.write(back4);
    const got = await session.collect();
    expect(got.map((c) => [c.side, c.bytes.toString('hex')])).to.deep.equal([
      [6, back6.toString('hex')],
      [4, back4.toString('hex')],
    ]);
    expect(decode(got[0].bytes).ipv6?.hopLimit).to.equal(17);
    expect(decode(got[1].bytes).ipv4?.ttl).to.equal(33);
    expect(got[0].timeUs).to.be.at.most(got[1].timeUs);
    expect(Math.abs(got[0].timeUs - session.nowUs())).to.be.below(60e6);
  });

  it('a burst larger than the kernel\'s default 500-packet queue crosses both ways without loss', async () => {
    dut = await echoDut();
    await lab!.redirectTo(dut.name);
    lab!.drain();
    session = lab!.session(config);
    const N = 1200;
    for (let i = 0; i < N; i++) await session.send(4, udp4(64, `b${i}`));
    const buf = Buffer.alloc(65536);
    let atDut = 0;
    while (dut.read(buf) >= 0) atDut++;
    expect(atDut).to.equal(N);
    for (let i = 0; i < N; i++) dut.write(udp4(64, `r${i}`));
    const got = await session.collect();
    expect(got).to.have.length(N);
    expect(decode(got[N - 1].bytes).payload?.toString()).to.equal(`r${N - 1}`);
  });

  it('kernel-routed wiring: the namespace forwards a packet from one harness TUN to the other (TTL decremented once)', async () => {
    await lab!.route({ v4Address: '198.18.0.1/24', v4Routes: [`203.0.113.0/24 dev ${lab!.tun6.name}`] });
    lab!.drain();
    session = lab!.session(config);
    await session.send(4, udp4(64, 'routed', '203.0.113.5'));
    const got = await session.collect();
    expect(got).to.have.length(1);
    expect(got[0].side).to.equal(6);
    const p = decode(got[0].bytes);
    expect(p.ipv4).to.include({ src: '198.18.1.9', dst: '203.0.113.5', ttl: 63 });
    expect(p.payload?.toString()).to.equal('routed');
    expect(checksumsValid(p)).to.deep.include({ ipv4: true });
  });

  it('collect returns nothing (and does not hang) when the DUT stays silent, and session hooks come from the target', async () => {
    let closed = false;
    session = lab!.session(config, { state: async () => ({ bib: [], sessions: [] }), close: async () => void (closed = true) });
    expect(await session.collect({ quietMs: 5, maxMs: 50 })).to.deep.equal([]);
    expect(session.state).to.be.a('function');
    expect(session.advance).to.equal(undefined);
    await session.close();
    await session.close();
    expect(closed).to.equal(true);
  });

  it('collect keeps reading while packets keep coming and stops at maxMs', async () => {
    dut = await echoDut();
    await lab!.redirectTo(dut.name);
    session = lab!.session(config);
    let n = 0;
    // The DUT keeps talking every few ms for longer than maxMs: collect must still end.
    const talker = setInterval(() => dut!.write(udp4(64, `p${n++}`)), 3);
    try {
      const got = await session.collect({ quietMs: 50, maxMs: 150 });
      expect(got.length).to.be.greaterThan(1);
      expect(got.every((c) => c.side === 4)).to.equal(true);
    } finally {
      clearInterval(talker);
    }
  });
});
