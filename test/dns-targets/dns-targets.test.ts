/**
 * The DNS lab and the four resolver targets, for real: each server starts
 * in the lab namespace, synthesises an AAAA with the lab prefix, its
 * upstream query reaches the harness authority, the next case starts from
 * an empty cache, and shutdown leaves nothing behind. Root only; a server
 * whose package is missing is skipped (a failure in CI).
 */
import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { clientSource, DnsLab } from '../../harness/dns/dns-lab';
import { LAB } from '../../harness/lab/addressing';
import { DNS, NAMES } from '../../harness/dns/names';
import type { Dns64Session, Dns64Target } from '../../harness/dns/types';
import { makeBindTarget } from '../../harness/dns-targets/bind';
import { makeKnotTarget } from '../../harness/dns-targets/knot';
import { makePdnsTarget } from '../../harness/dns-targets/pdns';
import { hasBinary, LAB_PREFIX } from '../../harness/dns-targets/server-process';
import { makeUnboundTarget } from '../../harness/dns-targets/unbound';
import { runPrefix } from '../../harness/lab/netns';
import { NotApplicable } from '../../harness/lab/target';
import { embed } from '../../harness/packet/rfc6052';
import { namespaces, needRoot } from '../lab/lab-helpers';

const SERVERS: { name: string; binary: string; pkg: string; make: () => Dns64Target; cannot: { needs: object; why: RegExp } }[] = [
  { name: 'bind', binary: 'named', pkg: 'bind9', make: makeBindTarget, cannot: { needs: { unsetPrefix: true }, why: /without a configured prefix/ } },
  { name: 'unbound', binary: 'unbound', pkg: 'unbound', make: makeUnboundTarget, cannot: { needs: { exclude: ['::ffff:0:0/96', NAMES.excludeRange] }, why: /exclusion/ } },
  { name: 'pdns', binary: 'pdns_recursor', pkg: 'pdns-recursor', make: makePdnsTarget, cannot: { needs: { prefixes: [{ prefix: '2001:db8:64::/64' }] }, why: /\/96 only/ } },
  { name: 'knot', binary: 'kresd', pkg: 'knot-resolver', make: makeKnotTarget, cannot: { needs: { prefixes: [{ prefix: LAB_PREFIX }, { prefix: DNS.secondPrefix, ipv4: ['101.0.0.0/8'] }] }, why: /single Pref64/ } },
];

function query(name: string, type: 'A' | 'AAAA' | 'SOA'): Buffer {
  return dnsPacket.encode({ type: 'query', id: Math.floor(Math.random() * 65536), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] });
}

function aaaaAnswers(bytes: Buffer | undefined): string[] {
  expect(bytes, 'an answer').to.not.equal(undefined);
  const m = dnsPacket.decode(bytes!);
  expect(bytes![3] & 0x0f, 'rcode NOERROR').to.equal(0);
  return (m.answers ?? []).filter((a) => a.type === 'AAAA').map((a) => String((a as { data: string }).data));
}

/** Names the upstream queries asked for, lower-cased (kresd randomises the case of names). */
async function upstreamNames(s: Dns64Session): Promise<{ names: string[]; from: string[] }> {
  const up = await s.upstream();
  return {
    names: up.map((q) => `${dnsPacket.decode(q.bytes).questions?.[0]?.type} ${dnsPacket.decode(q.bytes).questions?.[0]?.name.toLowerCase()}`),
    from: [...new Set(up.map((q) => q.from.address))],
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('DNS lab', function () {
  this.timeout(30000);
  let lab: DnsLab | undefined;
  before(function () {
    needRoot(this);
  });
  after(async () => {
    await lab?.close();
  });

  it('serves the authority over UDP and TCP and logs every query it received, with its source', async () => {
    lab = await DnsLab.create();
    const s = await lab.session({ prefixes: [], exclude: [], validate: false, listen: 'authority', upstream: 'authority' }, { address: DNS.authorityAddress, port: DNS.authorityPort });
    const name = `${NAMES.aOnly.name}.${DNS.zone}`;
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await s.query(query(name, 'A'), { transport, client: '127.0.0.9' });
      const m = dnsPacket.decode(r.bytes!);
      expect(m.answers?.map((a) => (a as { data: string }).data)).to.deep.equal(NAMES.aOnly.a);
    }
    const up = await s.upstream();
    expect(up.map((q) => [q.transport, q.from.address])).to.deep.equal([
      ['udp', '127.0.0.9'],
      ['tcp', '127.0.0.9'],
    ]);
    expect(await s.upstream(), 'nothing new since the last call').to.deep.equal([]);
    expect(lab.trustAnchor()).to.match(/^signed\.test\. IN DS \d+ 13 2 [0-9A-F]+$/);
  });

  it('reports a silent server as no answer, and a client outside the namespace loopback as a one-line error', async () => {
    const r = await lab!.query({ address: DNS.resolverAddress, port: 5399 }, query('x.test', 'A'), { transport: 'udp', timeoutMs: 200 });
    expect(r.bytes).to.equal(undefined);
    let err: Error | undefined;
    await lab!.query({ address: DNS.resolverAddress, port: 5399 }, query('x.test', 'A'), { transport: 'udp', client: '192.0.2.1' }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/127\.0\.0\.0\/8/);
    expect(clientSource(LAB.client6[1]), 'a lab client stands in as a loopback source').to.equal('127.0.0.102');
  });

  it('close removes the namespace and the agent', async () => {
    await lab!.close();
    lab = undefined;
    expect(namespaces()).to.not.include(`${runPrefix()}-dns`);
  });
});

describe('DNS64 servers in the DNS lab', function () {
  this.timeout(30000);
  before(function () {
    needRoot(this);
  });
  after(() => {
    expect(namespaces(), 'the DNS namespace is gone once every target shut down').to.not.include(`${runPrefix()}-dns`);
  });

  for (const srv of SERVERS) {
    describe(srv.name, () => {
      let target: Dns64Target;
      const pids: number[] = [];
      before(function () {
        if (!hasBinary(srv.binary)) {
          if (process.env.CI) throw new Error(`${srv.binary} not installed: apt-get install ${srv.pkg}`);
          this.skip();
        }
        target = srv.make();
      });
      after(async () => {
        await target?.shutdown();
      });

      it('synthesises AAAA for an A-only name with the lab prefix, and the authority saw its query', async () => {
        const s = await target.open({});
        expect(s.config.prefixes).to.deep.equal([{ prefix: LAB_PREFIX }]);
        expect(s.config.generated).to.include(LAB_PREFIX.split('/')[0]);
        const name = `${NAMES.aOnly.name}.${DNS.zone}`;
        const r = await s.query(query(name, 'AAAA'), { transport: 'udp' });
        expect(aaaaAnswers(r.bytes)).to.deep.equal([embed(LAB_PREFIX, NAMES.aOnly.a[0])]);
        const up = await upstreamNames(s);
        expect(up.names).to.include(`A ${name}`);
        expect(up.from, 'the server queries from an address of its own').to.have.length(1);
        pids.push(...serverPids(srv.binary));
        await s.close();
      });

      it('answers over TCP, and the next case starts from an empty cache', async () => {
        const s = await target.open({});
        const name = `${NAMES.aOnly.name}.${DNS.zone}`;
        const r = await s.query(query(name, 'AAAA'), { transport: 'tcp' });
        expect(aaaaAnswers(r.bytes)).to.deep.equal([embed(LAB_PREFIX, NAMES.aOnly.a[0])]);
        expect((await upstreamNames(s)).names, 'the A record was asked again, not taken from a cache').to.include(`A ${name}`);
        expect(serverPids(srv.binary), 'same configuration: no restart').to.deep.equal(pids);
        await s.close();
      });

      it('a need the server cannot meet is NotApplicable with the reason', async () => {
        let err: Error | undefined;
        await target.open(srv.cannot.needs).catch((e: Error) => (err = e));
        expect(err).to.be.instanceOf(NotApplicable);
        expect(err!.message).to.match(srv.cannot.why);
      });

      it('describes itself with the version from the binary and the generated configuration', async () => {
        const d = await target.describe();
        expect(d.version).to.match(/\d+\.\d+/);
        expect(String(d.config.text)).to.include(String(DNS.ports[srv.name]));
      });

      it('shutdown stops the server and removes its configuration directory', async () => {
        // The server runs in its configuration directory.
        const dirs = pids.map((p) => fs.readlinkSync(`/proc/${p}/cwd`));
        expect(dirs.join()).to.contain(`nat64lab-${srv.name}-`);
        await target.shutdown();
        expect(pids.filter(alive)).to.deep.equal([]);
        expect(dirs.filter((d) => fs.existsSync(d))).to.deep.equal([]);
      });
    });
  }
});

/** Pids of `binary` running inside the DNS namespace. */
function serverPids(binary: string): number[] {
  const ns = `${runPrefix()}-dns`;
  if (!fs.existsSync(`/run/netns/${ns}`)) return [];
  const comm = (pid: string): string => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p) && comm(p) === binary.slice(0, 15))
    .map(Number)
    .sort();
}
