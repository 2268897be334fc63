/**
 * Named faults of the own DNS64: deliberate defects switched on by
 * `config.faults`, so that every DNS64 conformance check can be shown to
 * fail. Each entry lists the catalogue ids (fixtures/catalogue/*.tsv) the
 * defect violates; the code honouring it is marked `// FAULT <name>`.
 * Names do not collide with the NAT64 engine's (engine/faults.ts), so one
 * `--fault` list can switch on both.
 */
import type { FaultInfo } from '../faults';

export const DNS64_FAULTS: FaultInfo[] = [
  // Synthesis decisions (RFC 6147 §5.1).
  { name: 'synth-any-class', description: 'AAAA queries of class CH/HS are synthesised like class IN.', violates: ['6147-5.1-non-in-class'] },
  { name: 'synth-when-aaaa-exists', description: 'Synthetic AAAA records are added next to the real ones a name owns.', violates: ['6147-5.1.1-no-mix', '6147-5.1.1-default-no-synth'] },
  { name: 'nxdomain-as-nodata', description: 'NXDOMAIN on the AAAA lookup is answered NOERROR with an empty answer.', violates: ['6147-5.1.2-nxdomain'] },
  { name: 'rcode-passthrough', description: 'A AAAA lookup answered SERVFAIL/REFUSED/other is relayed as is instead of treated as empty (no A lookup, no synthesis).', violates: ['6147-5.1.2-other-rcode'] },
  { name: 'timeout-servfail', description: 'A AAAA lookup that times out is answered SERVFAIL without an A lookup.', violates: ['6147-5.1.3-timeout'] },
  { name: 'no-default-exclusion', description: '::ffff:0:0/96 is not in the exclusion set by default.', violates: ['6147-5.1.4-exclude-mapped-default', '6147-5.1.4-only-excluded', '6147-5.1.4-never-excluded'] },
  { name: 'exclusion-config-ignored', description: 'Configured exclusion ranges are ignored (only ::ffff:0:0/96 is excluded).', violates: ['6147-5.1.4-exclusion-config', '6147-5.1.4-only-excluded', '6147-5.1.4-never-excluded'] },
  { name: 'mixed-excluded-kept', description: 'When an AAAA answer mixes excluded and good addresses, all of them are returned.', violates: ['6147-5.1.4-mixed-keep-good', '6147-5.1.4-never-excluded'] },
  { name: 'drop-pref64-aaaa', description: 'Real AAAA records inside a configured Pref64 are removed from answers (handled as excluded).', violates: ['7050-3.1.1-fqdn-aaaa'] },
  { name: 'chain-not-followed', description: 'A CNAME/DNAME answer without AAAA at its end is returned as is: no A lookup of the target, no synthesis.', violates: ['6147-5.1.5-chain-follow'] },
  { name: 'chain-dropped', description: 'Synthesised answers hold only the AAAA records, not the CNAME/DNAME chain that led to them.', violates: ['6147-5.1.5-chain-in-answer'] },
  { name: 'empty-a-nxdomain', description: 'When the A lookup finds nothing, the client gets NXDOMAIN instead of the empty AAAA response.', violates: ['6147-5.1.6-a-lookup', '6147-5.4-empty-passthrough'] },
  { name: 'a-error-as-nodata', description: 'When the A lookup fails (SERVFAIL), the client gets NOERROR with an empty answer.', violates: ['6147-5.1.6-a-lookup'] },
  { name: 'no-a-lookup', description: 'A AAAA NODATA is answered as is: no A lookup, no synthesis.', violates: ['6147-5.1.6-a-lookup'] },
  { name: 'synth-after-nxdomain', description: 'NXDOMAIN on the AAAA lookup is followed by an A lookup, and synthesis when A has records.', violates: ['6147-5.1.2-nxdomain'] },
  { name: 'a-records-kept', description: 'The A records synthesis was based on stay in the answer next to the synthetic AAAA.', violates: ['6147-5.1.6-no-a-in-answer'] },
  // The synthetic record and the address (§5.1.7, §5.2, RFC 6052).
  { name: 'synth-owner-qname', description: 'Synthetic AAAA records are owned by the QNAME instead of the A record\'s owner (differs at the end of a chain).', violates: ['6147-5.1.7-rr-fields', '6147-5.1.5-chain-in-answer'] },
  { name: 'synth-octets-reversed', description: 'The IPv4 octets are embedded in reverse order, at every prefix length.', violates: ['6147-5.1.7-rr-fields', '6147-5.2-same-algo', '6147-5.2-reversible', '6147-5.2-rfc6052-support', '6147-5.2-rfc6052-default', '7050-3-dns64-answers-wkn', '8880-7.1-aaaa-answer'] },
  { name: 'unstable-synthesis', description: 'Synthesised addresses carry a per-query random value (the suffix below /96, bits 80-95 at /96).', violates: ['6147-5.2-inputs', '6147-5.2-same-algo', '6147-5.2-use-configured'] },
  { name: 'ttl-from-a-only', description: 'Synthetic AAAA records take the A TTL, ignoring the SOA of the AAAA NODATA and the 600 s cap.', violates: ['6147-5.1.7-ttl', '6147-5.1.7-ttl-no-soa'] },
  { name: 'ttl-no-soa-uncapped', description: 'Without an SOA in the AAAA NODATA, the A TTL is used without the 600 s cap.', violates: ['6147-5.1.7-ttl-no-soa'] },
  { name: 'range-prefixes-ignored', description: 'Per-range prefixes are ignored: every A record is synthesised under the first prefix.', violates: ['6147-5-range-prefixes', '6147-5.1.7-range-select'] },
  { name: 'wkp-always', description: 'Synthesis uses 64:ff9b::/96 even when prefixes are configured.', violates: ['6147-5.2-use-configured', '7050-3-dns64-answers-wkn'] },
  { name: 'dns64-no-wkp-fallback', description: 'With no prefix configured, 2001:db8:64::/96 is used instead of 64:ff9b::/96.', violates: ['6147-5.2-wkp-fallback'] },
  { name: 'accept-long-prefix', description: 'Prefixes longer than /96 (and of non-RFC 6052 lengths) are accepted by the configuration.', violates: ['6147-5.2-n-le-96', '6147-5.2-rfc6052-support'] },
  { name: 'wkp-nonglobal-synth', description: 'Non-global IPv4 addresses (RFC 1918, loopback, ...) are synthesised under 64:ff9b::/96.', violates: ['6052-3.1-wkp-no-nonglobal-repr'] },
  // Other records and sections (§5.3, §5.4).
  { name: 'ptr-not-synthesised', description: 'ip6.arpa PTR queries under a Pref64 are forwarded upstream like any other.', violates: ['6147-5.3.1-ptr-parse', '6147-5.3.1-ptr-one-mode', '8880-7.2.1-dns64-ptr-wka', '7050-3.1.1-wka-ptr'] },
  { name: 'ptr-both-modes', description: 'ip6.arpa PTR queries under a Pref64 get a CNAME to in-addr.arpa and a local PTR in the same answer.', violates: ['6147-5.3.1-ptr-not-both', '6147-5.3.1-ptr-one-mode'] },
  { name: 'ptr-styles-alternate', description: 'ip6.arpa PTR queries under a Pref64 are answered in the two styles by turns: a local PTR, then a CNAME to in-addr.arpa.', violates: ['6147-5.3.1-ptr-not-both'] },
  { name: 'wka-reverse-local', description: 'PTR queries for 170.0.0.192.in-addr.arpa and 171.0.0.192.in-addr.arpa are answered locally (ipv4only.arpa) instead of resolved upstream.', violates: ['8880-7.2-resolver-reverse-normal'] },
  { name: 'ptr-cname-dangling', description: 'ip6.arpa PTR queries under a Pref64 get a CNAME to in-addr.arpa without checking that a PTR exists there.', violates: ['6147-5.3.1-ptr-cname-target'] },
  { name: 'ptr-synth-any-prefix', description: 'Every ip6.arpa PTR query is synthesised from its last 32 bits, under a Pref64 or not.', violates: ['6147-5.3.1-ptr-other', '6147-5.3.1-ptr-parse'] },
  { name: 'wka-ptr-nxdomain', description: 'PTR queries for Pref64::192.0.0.170/171 are answered NXDOMAIN.', violates: ['8880-7.2.1-dns64-ptr-wka', '7050-3.1.1-wka-ptr'] },
  { name: 'wka-ptr-upstream', description: 'PTR queries for Pref64::192.0.0.170/171 are resolved through in-addr.arpa upstream.', violates: ['8880-7.2.1-dns64-ptr-wka'] },
  { name: 'additional-synthesised', description: 'A records in the additional section of synthesised replies are turned into AAAA records.', violates: ['6147-5.3.2-no-additional-synth', '6147-5.3.2-additional-unchanged'] },
  { name: 'additional-stripped', description: 'The additional section of synthesised replies is emptied.', violates: ['6147-5.3.2-additional-unchanged', '6147-5.4-auth-additional'] },
  { name: 'other-rr-additional-synthesised', description: 'A records in the additional section of any reply (MX, NS, SRV answers included) are turned into AAAA records.', violates: ['6147-5.3.3-other-rr-unchanged', '6147-5.3.2-no-additional-synth'] },
  { name: 'other-rr-ttl-capped', description: 'Answers to queries other than AAAA have their TTLs capped at 60 s.', violates: ['6147-5.3.3-other-rr-unchanged'] },
  { name: 'question-lowercased', description: 'The question section of replies carries the QNAME in lower case.', violates: ['6147-5.4-question-copied'] },
  { name: 'authority-from-aaaa', description: 'Synthesised replies carry the authority and additional sections of the AAAA response instead of the A response.', violates: ['6147-5.4-auth-additional'] },
  { name: 'no-truncation', description: 'UDP replies are never truncated: the 512-octet limit and the client\'s EDNS(0) size are ignored.', violates: ['6147-5.4-dns-rules'] },
  { name: 'edns-size-ignored', description: 'The client\'s EDNS(0) payload size is ignored: UDP replies are truncated at 512 octets.', violates: ['6147-5.4-dns-rules'] },
  { name: 'tcp-truncated', description: 'Replies over TCP are truncated at the UDP limit like UDP ones.', violates: ['6147-5.4-dns-rules'] },
  // DNSSEC (§5.5).
  { name: 'a-before-aaaa', description: 'The A query for synthesis is sent before the AAAA query, while validating.', violates: ['6147-5.5-validate-nodata-first'] },
  { name: 'skip-validation', description: 'Nothing is validated: bogus data is synthesised from or relayed.', violates: ['6147-5.5-cd0do0-validate', '6147-5.5-cd0do1-validate', '6147-5.5-bogus-servfail', '6147-5.5-validate-nodata-first', '6147-5.5-ad-on-synth'] },
  { name: 'skip-nodata-validation', description: 'The AAAA NODATA is not validated before the A lookup; only the A response is.', violates: ['6147-5.5-validate-nodata-first'] },
  { name: 'no-ad-clear', description: 'AD is set on validated replies whatever DO says (DO=0 included).', violates: ['6147-5.5-cd0do0-no-ad'] },
  { name: 'no-ad-on-synth', description: 'Synthesised replies never carry AD, even when the NODATA and the A data validated.', violates: ['6147-5.5-ad-on-synth'] },
  { name: 'synth-with-cd', description: 'Queries with CD=1 and DO=1 are synthesised like others.', violates: ['6147-5.5-cd1-no-synth', '6147-5.5-cd1-passthrough'] },
  { name: 'rrsig-stripped', description: 'RRSIG and NSEC records are removed from every reply, DO=1 included.', violates: ['6147-5.5-cd1-passthrough', '7050-3.1.1-sign'] },
  // ipv4only.arpa (RFC 8880 §7.1, RFC 7050 §3).
  { name: 'ipv4only-upstream', description: 'ipv4only.arpa is resolved upstream like any other name.', violates: ['8880-7.1-dns64-special', '8880-7.1-dns64-no-upstream', '8880-7.1-dns64-authoritative', '8880-7.1-subdomain-nxdomain', '8880-7.1-other-nodata'] },
  { name: 'ipv4only-a-one', description: 'ipv4only.arpa is answered with 192.0.0.170 only (A, and AAAA synthesised from it).', violates: ['8880-7.1-a-answer', '8880-7.1-aaaa-answer', '7050-3-dns64-answers-wkn'] },
  { name: 'ipv4only-one-prefix', description: 'ipv4only.arpa AAAA is synthesised under the first prefix only, however many are configured.', violates: ['8880-7.1-aaaa-answer', '7050-3-dns64-answers-wkn'] },
  { name: 'ipv4only-other-nxdomain', description: 'Query types other than A, AAAA and DS for ipv4only.arpa are answered NXDOMAIN.', violates: ['8880-7.1-other-nodata'] },
  { name: 'ipv4only-subdomain-nodata', description: 'Names below ipv4only.arpa are answered NOERROR/NODATA instead of NXDOMAIN.', violates: ['8880-7.1-subdomain-nxdomain'] },
  { name: 'ipv4only-ds-local', description: 'DS queries for ipv4only.arpa are answered locally (NODATA) instead of upstream.', violates: ['8880-7.1-ds-exception'] },
  { name: 'ipv4only-validated', description: 'ipv4only.arpa AAAA queries with DO=1 are validated against the lab trust anchors and fail with SERVFAIL.', violates: ['8880-5-no-validate'] },
  { name: 'forwarder-ipv4only-special', description: 'In plain forwarder mode ("mode": "forwarder") ipv4only.arpa is still answered locally.', violates: ['8880-7.1-fwd-not-special'] },
  // Resolver hygiene (outside the catalogue rows above; the project's own tests use them).
  { name: 'fixed-query-id', description: 'Every upstream query carries ID 0x1234.', violates: [] },
  { name: 'fixed-source-port', description: 'Every upstream query leaves from port 53053.', violates: [] },
  { name: 'acl-ignored', description: 'The client ACL is not applied: every client is answered.', violates: [] },
  { name: 'no-cache-expiry', description: 'Cache entries never expire: TTLs stop counting down at zero and the stale answer is served.', violates: [] },
];

export function isDns64Fault(name: string): boolean {
  return DNS64_FAULTS.some((f) => f.name === name);
}
