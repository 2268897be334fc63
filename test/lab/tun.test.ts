import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { openTun, Tun } from '../../harness/io/tun';
import { encode, decode } from '../../harness/packet/codec';
import { Netns } from '../../harness/lab/netns';
import { needRoot, testName } from './lab-helpers';

const dist = path.resolve(__dirname, '../..');

/** Reads packets until `want` matches one, within a bounded deadline; skips others (kernel chatter). */
function readMatching(t: Tun, want: (b: Buffer) => boolean, deadlineMs = 2000): Buffer | undefined {
  const buf = Buffer.alloc(65536);
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (!t.waitReadable(end - Date.now())) break;
    const n = t.read(buf);
    if (n < 0) continue;
    const p = Buffer.from(buf.subarray(0, n));
    if (want(p)) return p;
  }
  return undefined;
}

describe('lab: libc bindings', () => {
  it('loading the lab modules does not load koffi (the in-process target never touches it)', () => {
    const script = `
      require(${JSON.stringify(path.join(dist, 'harness/lab/tun-lab'))});
      require(${JSON.stringify(path.join(dist, 'harness/lab/netns'))});
      const libc = require(${JSON.stringify(path.join(dist, 'harness/io/libc'))});
      const koffi = Object.keys(require.cache).some((k) => k.includes('/koffi/'));
      process.stdout.write(JSON.stringify({ loaded: libc.isLoaded(), koffi }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(out).to.deep.equal({ loaded: false, koffi: false });
  });

  it('rejects an unusable interface name with a one-line reason before touching the kernel', () => {
    expect(() => openTun('much-too-long-name0')).to.throw(/interface name 'much-too-long-name0' is not usable: give 1–15/);
  });
});

describe('lab: TUN devices', function () {
  let ns: Netns | undefined;
  let tun: Tun | undefined;

  beforeEach(function () {
    needRoot(this);
  });

  afterEach(async () => {
    tun?.close();
    tun = undefined;
    await ns?.delete();
    ns = undefined;
  });

  async function tunInNamespace(): Promise<Tun> {
    ns = await Netns.create(testName('t'));
    const t = openTun(testName('x'));
    tun = t;
    execFileSync('ip', ['link', 'set', t.name, 'netns', ns.name]);
    await ns.ip(`link set ${t.name} addrgenmode none`);
    await ns.ip(`link set ${t.name} up`);
    return t;
  }

  it('a packet written into the TUN reaches the namespace kernel, and its answer is read back (IPv6 and IPv4 echo)', async () => {
    const t = await tunInNamespace();
    await ns!.ip(`addr add 2001:db8:6::1/64 dev ${t.name} nodad`);
    await ns!.ip(`addr add 198.18.0.1/24 dev ${t.name}`);

    t.write(encode({ ipv6: { src: '2001:db8:6::2', dst: '2001:db8:6::1', hopLimit: 64 }, icmpv6: { type: 128, id: 7, seq: 1 }, payload: Buffer.from('ping6') }));
    const r6 = readMatching(t, (b) => b[0] >> 4 === 6 && decode(b).icmpv6?.type === 129);
    expect(r6, 'echo reply on the TUN').to.not.equal(undefined);
    const d6 = decode(r6!);
    expect(d6.ipv6).to.include({ src: '2001:db8:6::1', dst: '2001:db8:6::2' });
    expect(d6.icmpv6).to.include({ id: 7, seq: 1 });
    expect(d6.payload?.toString()).to.equal('ping6');

    t.write(encode({ ipv4: { src: '198.18.0.2', dst: '198.18.0.1', ttl: 64 }, icmpv4: { type: 8, id: 9, seq: 2 }, payload: Buffer.from('ping4') }));
    const r4 = readMatching(t, (b) => b[0] >> 4 === 4 && decode(b).icmpv4?.type === 0);
    expect(r4, 'echo reply on the TUN').to.not.equal(undefined);
    expect(decode(r4!).ipv4).to.include({ src: '198.18.0.1', dst: '198.18.0.2' });
  });

  it('read returns -1 and waitReadable false when nothing is queued; close is idempotent and later use fails clearly', async () => {
    const t = await tunInNamespace();
    const buf = Buffer.alloc(2048);
    while (t.read(buf) >= 0); // whatever the kernel queued while the link came up
    expect(t.read(buf)).to.equal(-1);
    expect(t.waitReadable(0)).to.equal(false);
    t.close();
    t.close();
    expect(() => t.read(buf)).to.throw(/TUN '.*': read after close/);
    tun = undefined;
  });

  it('the interface disappears when its fd is closed', async () => {
    const t = await tunInNamespace();
    const links = () => execFileSync('ip', ['-n', ns!.name, '-o', 'link'], { encoding: 'utf8' });
    expect(links()).to.include(t.name);
    t.close();
    tun = undefined;
    expect(links()).to.not.include(t.name);
  });
});
