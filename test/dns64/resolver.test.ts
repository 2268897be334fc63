import { expect } from 'chai';
import * as dgram from 'dgram';
import * as packet from 'dns-packet';
import { createDns64, parseDns64Config } from '../../engine/dns64';
import { listen, socketTransport } from '../../engine/dns64/sockets';
import { seededRandom } from '../../engine';
import { ConfigError } from '../../engine/config';
import { parseIPv6 } from '../../harness/packet/address';
import { data, rig, ttls } from './helpers';
import { FakeUpstream } from './fake-upstream';

describe('dns64: resolver behaviour', () => {
  it('refuses clients outside the ACL', async () => {
    const g = rig({ acl: ['2001:db8:6::/64', '127.0.0.0/8'] });
    expect((await g.ask('a-only.dns64.test', 'AAAA', { client: '192.0.2.1' })).rcode).to.equal('REFUSED');
    expect((await g.ask('a-only.dns64.test', 'AAAA', { client: '127.0.0.1' })).rcode).to.equal('NOERROR');
    expect(g.upstream.seen).to.have.length(2);
  });

  it('sets TC when the answer does not fit 512 octets without EDNS, and answers in full over TCP', async () => {
    const g = rig();
    const udp = await g.ask('big.dns64.test', 'AAAA', { edns: false });
    expect(udp.flag_tc).to.equal(true);
    expect(udp.answers).to.have.length(0);
    const tcp = await g.ask('big.dns64.test', 'AAAA', { edns: false, transport: 'tcp' });
    expect(data(tcp, 'AAAA')).to.have.length(40);
    const big = await g.ask('big.dns64.test', 'AAAA', { edns: 4096 });
    expect(big.flag_tc).to.equal(false);
    expect(data(big, 'AAAA')).to.have.length(40);
    // The A answer (over 512 octets) came over TCP upstream after a truncated UDP answer.
    expect(g.upstream.seen.filter((s) => s.transport === 'tcp').length).to.be.greaterThan(0);
  });

  it('uses a fresh random ID and source port for each upstream query', async () => {
    const g = rig();
    for (const n of ['a-only', 'a-multi', 'dual', 'nodata']) await g.ask(`${n}.dns64.test`, 'AAAA');
    const ids = new Set(g.upstream.seen.map((s) => s.message.id));
    const ports = new Set(g.upstream.seen.map((s) => s.sourcePort));
    expect(ids.size).to.equal(g.upstream.seen.length);
    expect(ports.size).to.equal(g.upstream.seen.length);
    for (const p of ports) expect(p).to.be.within(1024, 65535);
  });

  it('retries a lost query and gives up after the configured tries', async () => {
    const g = rig({ upstreamTries: 3 });
    g.upstream.misbehave('timeout-aaaa.dns64.test', 'AAAA', 'drop');
    await g.ask('timeout-aaaa.dns64.test', 'AAAA');
    expect(g.upstream.queries('AAAA')).to.have.length(3);
  });

  it('caches on the virtual clock: TTLs count down, entries expire, NODATA cached for the SOA TTL (RFC 2308)', async () => {
    const g = rig();
    await g.ask('a-short.dns64.test', 'A');
    g.clock.advance(20_000);
    const again = await g.ask('a-short.dns64.test', 'A');
    expect(ttls(again, 'A')).to.deep.equal([40]);
    expect(g.upstream.queries('A')).to.have.length(1);
    g.clock.advance(41_000);
    await g.ask('a-short.dns64.test', 'A');
    expect(g.upstream.queries('A')).to.have.length(2);
    await g.ask('nodata.dns64.test', 'AAAA');
    g.clock.advance(299_000);
    await g.ask('nodata.dns64.test', 'AAAA');
    expect(g.upstream.queries('AAAA').filter((m) => m.questions[0].name === 'nodata.dns64.test')).to.have.length(1);
    g.server.flush();
    await g.ask('nodata.dns64.test', 'AAAA');
    expect(g.upstream.queries('AAAA').filter((m) => m.questions[0].name === 'nodata.dns64.test')).to.have.length(2);
  });

  it('answers FORMERR to garbage with a header and drops shorter garbage', async () => {
    const g = rig();
    const junk = Buffer.from('abcd0100000100000000000003', 'hex');
    const out = await g.server.handle(junk, { address: '127.0.0.1', port: 1, transport: 'udp' });
    expect((packet.decode(out!) as any).rcode).to.equal('FORMERR');
    expect(await g.server.handle(Buffer.from('ab', 'hex'), { address: '127.0.0.1', port: 1, transport: 'udp' })).to.equal(undefined);
  });

  it('echoes EDNS(0) with DO, and answers BADVERS to EDNS version 1 (RFC 6891 §6.1.3)', async () => {
    const g = rig();
    const r = await g.ask('a-only.dns64.test', 'AAAA', { do: true });
    const o = r.additionals.find((x: any) => x.type === 'OPT');
    expect([o.udpPayloadSize, o.flag_do]).to.deep.equal([1232, true]);
    const v1 = packet.encode({ id: 9, type: 'query', flags: 0, questions: [{ name: 'a-only.dns64.test', type: 'AAAA' } as any], additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, ednsVersion: 1 } as any] });
    const out: any = packet.decode((await g.server.handle(v1, { address: '127.0.0.1', port: 1, transport: 'udp' }))!);
    expect(out.additionals[0].extendedRcode * 16 + (out.flags & 15)).to.equal(16);
    expect(g.upstream.seen).to.have.length(2);
  });

  it('rejects bad configuration with one line naming the field', () => {
    const bad = (raw: unknown) => {
      try {
        parseDns64Config(raw, 'x.json');
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(bad({ prefixes: ['2001:db8::/104'] })).to.match(/^x\.json: prefixes\[0\]\.prefix.*32, 40, 48, 56, 64 or 96/);
    expect(bad({ upstream: ['not-an-ip'] })).to.match(/^x\.json: upstream\[0\]\.address/);
    expect(bad({ dnssec: { validate: true } })).to.match(/trustAnchors/);
    expect(bad({ faults: ['nope'] })).to.match(/faults\[0\]/);
    expect(bad({ colour: 1 })).to.match(/colour: unknown setting/);
    for (const m of [bad({ prefixes: ['2001:db8::/104'] }), bad({ acl: ['10.0.0.1/8'] })]) expect(m).to.not.include('\n');
    expect(bad({ prefixes: ['2001:db8::/104'], faults: ['accept-long-prefix'] })).to.equal('accepted');
  });
});

describe('dns64: ipv4only.arpa (RFC 8880 §7.1) and PTR (RFC 6147 §5.3.1, RFC 8880 §7.2.1)', () => {
  it('answers ipv4only.arpa locally: A, AAAA per prefix, NODATA for other types, NXDOMAIN below, DS upstream', async () => {
    const g = rig({ prefixes: ['2001:db8:64::/96', { prefix: '2001:db8:65::/96', ipv4: ['101.0.0.0/8'] }] });
    const a = await g.ask('ipv4only.arpa', 'A');
    expect(data(a, 'A')).to.deep.equal(['192.0.0.170', '192.0.0.171']);
    expect(a.flag_aa).to.equal(true);
    const q = await g.ask('ipv4only.arpa', 'AAAA', { do: true });
    expect(data(q, 'AAAA')).to.deep.equal(['2001:db8:64::c000:aa', '2001:db8:64::c000:ab', '2001:db8:65::c000:aa', '2001:db8:65::c000:ab']);
    const t = await g.ask('ipv4only.arpa', 'TXT');
    expect([t.rcode, t.answers.length]).to.deep.equal(['NOERROR', 0]);
    expect((await g.ask('foo.ipv4only.arpa', 'A')).rcode).to.equal('NXDOMAIN');
    expect(g.upstream.seen).to.have.length(0);
    await g.ask('ipv4only.arpa', 'DS');
    expect(g.upstream.queries('DS')).to.have.length(1);
  });

  it('synthesises PTR under a Pref64 (and the WKP) from in-addr.arpa; other ip6.arpa names go upstream', async () => {
    const g = rig();
    const rev = (v6: string) => parseIPv6(v6).toString('hex').split('').reverse().join('.') + '.ip6.arpa';
    const p = await g.ask(rev('2001:db8:64::6400:a'), 'PTR');
    expect(data(p, 'PTR')).to.deep.equal(['a-only.dns64.test']);
    expect(data(await g.ask(rev('64:ff9b::6400:14'), 'PTR'), 'PTR')).to.deep.equal(['dual.dns64.test']);
    expect((await g.ask(rev('2001:db8:64::6400:63'), 'PTR')).rcode).to.equal('NXDOMAIN');
    const before = g.upstream.seen.length;
    expect(data(await g.ask(rev('2001:db8:64::c000:aa'), 'PTR'), 'PTR')).to.deep.equal(['ipv4only.arpa']);
    expect(g.upstream.seen.length).to.equal(before);
    await g.ask(rev('2001:db8:d0a1::20'), 'PTR');
    expect(g.upstream.seen.at(-1)!.message.questions[0].name).to.match(/ip6\.arpa$/);
  });

  it('in forwarder mode nothing is special: ipv4only.arpa goes upstream, AAAA is not synthesised', async () => {
    const g = rig({ mode: 'forwarder' });
    await g.ask('ipv4only.arpa', 'AAAA');
    expect(g.upstream.seen).to.have.length(1);
    expect(data(await g.ask('a-only.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal([]);
  });
});

describe('dns64: daemon sockets', () => {
  it('answers a real query on loopback from a fake upstream on loopback (UDP and TCP)', async () => {
    const fake = new FakeUpstream();
    const auth = dgram.createSocket('udp4');
    auth.on('message', async (msg, rinfo) => {
      const out = await fake.exchange({ address: '127.0.0.1', port: 0 }, msg, { transport: 'udp', sourcePort: rinfo.port, timeoutMs: 1000 });
      if (out) auth.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => auth.bind(0, '127.0.0.1', () => r()));
    const authPort = (auth.address() as { port: number }).port;
    const config = parseDns64Config({ prefixes: ['2001:db8:64::/96'], upstream: [`127.0.0.1#${authPort}`], listen: ['127.0.0.1#0'] }, 'test');
    const random = seededRandom(3);
    const server = createDns64(config, { clock: { now: () => Date.now() }, random, upstream: socketTransport(random) });
    const up = await listen(server, config.listen);
    try {
      const port = Number(up.addresses[0].split('#')[1]);
      const client = dgram.createSocket('udp4');
      const reply = await new Promise<any>((resolve) => {
        client.on('message', (m) => resolve(packet.decode(m)));
        client.send(packet.encode({ id: 77, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name: 'a-only.dns64.test', type: 'AAAA' } as any] }), port, '127.0.0.1');
      });
      client.close();
      expect(reply.id).to.equal(77);
      expect(data(reply, 'AAAA')).to.deep.equal(['2001:db8:64::6400:a']);
      const tcpReply = await new Promise<any>((resolve, reject) => {
        const net = require('net') as typeof import('net');
        const s = net.connect(port, '127.0.0.1', () => s.write(packet.streamEncode({ id: 78, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name: 'ipv4only.arpa', type: 'A' } as any] })));
        let buf = Buffer.alloc(0);
        s.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            s.destroy();
            resolve(packet.streamDecode(buf));
          }
        });
        s.on('error', reject);
      });
      expect(data(tcpReply, 'A')).to.deep.equal(['192.0.0.170', '192.0.0.171']);
    } finally {
      await up.close();
      auth.close();
    }
  });
});
