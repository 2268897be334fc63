/**
 * ALG transparency: by default no ALG rewrites payloads (RFC 4787 REQ-10 for
 * UDP, RFC 5382 REQ-6 for TCP other than FTP). The probes carry what ALGs
 * look for — address literals in SIP, RTSP and H.323 signalling, and an A
 * record in a DNS answer (which a NAT-PT style DNS-ALG would turn into AAAA)
 * — and must cross byte for byte.
 */
import * as dnsPacket from 'dns-packet';
import type { Packet } from '../../harness/packet/types';
import type { CaseDef } from '../../harness/runner/case';
import { parseIPv6 } from '../../harness/packet/address';
import { CLIENT, S4, open, outputs, setupFailed, udpIn, udpOut } from './lib';
import type { Flow } from './lib';

function sipInvite(server6: string, sport: number, transport: 'UDP' | 'TCP'): Buffer {
  return Buffer.from(
    [
      `INVITE sip:bob@[${server6}]:5060 SIP/2.0`,
      `Via: SIP/2.0/${transport} [${CLIENT}]:${sport};branch=z9hG4bK-nat64lab`,
      `Contact: <sip:alice@[${CLIENT}]:${sport}>`,
      'Content-Type: application/sdp',
      '',
      'v=0',
      `o=alice 1 1 IN IP6 ${CLIENT}`,
      `c=IN IP6 ${CLIENT}`,
      'm=audio 49170 RTP/AVP 0',
      '',
    ].join('\r\n'),
  );
}

function sipOk(f: Flow, transport: 'UDP' | 'TCP'): Buffer {
  return Buffer.from(
    [
      'SIP/2.0 200 OK',
      `Via: SIP/2.0/${transport} ${f.T}:${f.t};received=${f.T};rport=${f.t}`,
      `Contact: <sip:bob@${S4}:5060>`,
      '',
      'v=0',
      `o=bob 2 2 IN IP4 ${S4}`,
      `c=IN IP4 ${S4}`,
      'm=audio 3456 RTP/AVP 0',
      '',
    ].join('\r\n'),
  );
}

/** RTSP SETUP naming the client's address for the media (RFC 2326 §12.39 destination=). */
function rtspSetup(server6: string): Buffer {
  return Buffer.from(`SETUP rtsp://[${server6}]/media RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;destination=${CLIENT};client_port=4588-4589\r\n\r\n`);
}

function rtspReply(f: Flow): Buffer {
  return Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;destination=${f.T};source=${S4};client_port=4588-4589;server_port=6256-6257\r\n\r\n`);
}

/** A TPKT + Q.931 SETUP-like H.225 message: the client's IPv6 address in binary and as a display string. */
function h323Setup(): Buffer {
  return Buffer.concat([Buffer.from('0300003c080200010528', 'hex'), parseIPv6(CLIENT), Buffer.from([0x06, 0xb8]), Buffer.from(` h323-ID alice@${CLIENT}`)]);
}

function h323Connect(f: Flow): Buffer {
  const v4 = (a: string) => Buffer.from(a.split('.').map(Number));
  return Buffer.concat([Buffer.from('03000030088200010728', 'hex'), v4(S4), Buffer.from([0x06, 0xb8]), v4(f.T), Buffer.from(` h323-ID bob@${S4} for ${f.T}`)]);
}

/** An AAAA query from the IPv6-only client (a NAT-PT DNS-ALG would turn it into an A query, RFC 2766 §4.1). */
function dnsQuery(): Buffer {
  return dnsPacket.encode({ type: 'query', id: 0x6464, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'AAAA', name: 's4.nat64lab.test' }] });
}

/** An answer carrying an A record (to an A query of the same client); a DNS-ALG would rewrite it into AAAA. */
function dnsAnswer(): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 0x6465,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: 's4.nat64lab.test' }],
    answers: [{ type: 'A', name: 's4.nat64lab.test', ttl: 300, data: S4 }],
  });
}

function one<T>(list: T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined;
}

export const algCases: CaseDef[] = [
  {
    id: 'alg-off-udp',
    suite: 'header-translation',
    title: 'No UDP ALG by default: SIP signalling and DNS answers cross the NAT64 byte for byte',
    requirements: ['4787-7-req10-alg-off'],
    async run(t) {
      const id = '4787-7-req10-alg-off';
      for (const app of [
        { name: 'SIP', port: 5060, sport: 5060, up: (f6: string) => sipInvite(f6, 5060, 'UDP'), down: (f: Flow) => sipOk(f, 'UDP') },
        { name: 'DNS', port: 53, sport: 41053, up: () => dnsQuery(), down: () => dnsAnswer() },
      ]) {
        const server6 = udpOut(t).ipv6!.dst;
        const up = app.up(server6);
        const { ex, flow } = await open(t, udpOut(t, { sport: app.sport, dport: app.port, payload: up }));
        if (!flow) {
          setupFailed(t, [id], `the ${app.name} request is translated`, ex);
          continue;
        }
        t.expectPacket(id, `${app.name} ${app.name === 'DNS' ? 'AAAA query' : 'request'} to port ${app.port}: payload unchanged (${up.length} octets)`, flow.out, { udp: { length: 8 + up.length }, payload: up });
        const down = app.down(flow);
        const r = await t.send(4, udpIn(flow, down));
        t.expectPacket(id, `${app.name} ${app.name === 'DNS' ? 'answer with an A record' : 'response with IPv4 literals'}: payload unchanged (${down.length} octets)`, one(r.out6), {
          udp: { length: 8 + down.length },
          payload: down,
        });
      }
    },
  },
  {
    id: 'alg-off-tcp',
    suite: 'header-translation',
    title: 'No TCP ALG (other than FTP) by default: SIP, H.323 and RTSP over TCP cross byte for byte',
    requirements: ['5382-6-req6-alg'],
    async run(t) {
      const id = '5382-6-req6-alg';
      let sport = 41100;
      for (const app of [
        { name: 'SIP', port: 5060, up: (s6: string) => sipInvite(s6, sport, 'TCP'), down: (f: Flow) => sipOk(f, 'TCP') },
        { name: 'H.323 (H.225 call signalling)', port: 1720, up: () => h323Setup(), down: (f: Flow) => h323Connect(f) },
        { name: 'RTSP', port: 554, up: (s6: string) => rtspSetup(s6), down: (f: Flow) => rtspReply(f) },
      ]) {
        const cport = sport++;
        const server6 = udpOut(t).ipv6!.dst;
        const { ex, flow } = await open(t, { ipv6: { src: CLIENT, dst: server6, hopLimit: 64 }, tcp: { sport: cport, dport: app.port, seq: 5000, flags: { syn: true }, window: 65535 } });
        if (!flow) {
          setupFailed(t, [id], `the ${app.name} SYN is translated`, ex);
          continue;
        }
        const synack = await t.send(4, { ipv4: { src: flow.server, dst: flow.T, ttl: 64 }, tcp: { sport: app.port, dport: flow.t, seq: 9000, ack: 5001, flags: { syn: true, ack: true }, window: 65535 } });
        if (synack.out6.length !== 1) {
          setupFailed(t, [id], `the ${app.name} SYN-ACK is translated`, synack);
          continue;
        }
        const up = app.up(server6);
        const data6: Packet = { ipv6: { src: CLIENT, dst: server6, hopLimit: 64 }, tcp: { sport: cport, dport: app.port, seq: 5001, ack: 9001, flags: { ack: true, psh: true }, window: 65535 }, payload: up };
        const d6 = await t.send(6, data6);
        t.expectPacket(id, `${app.name} request to port ${app.port}: payload unchanged (${up.length} octets)`, one(d6.out4), { tcp: { seq: 5001 }, payload: up });
        const down = app.down(flow);
        const d4 = await t.send(4, { ipv4: { src: flow.server, dst: flow.T, ttl: 64 }, tcp: { sport: app.port, dport: flow.t, seq: 9001, ack: 5001 + up.length, flags: { ack: true, psh: true }, window: 65535 }, payload: down });
        t.expectPacket(id, `${app.name} response from port ${app.port}: payload unchanged (${down.length} octets)`, one(d4.out6), { tcp: { seq: 9001 }, payload: down });
        if (d4.out6.length !== 1) t.note(`${app.name}: ${outputs(d4)}`);
      }
    },
  },
];
