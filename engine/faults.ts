/**
 * Named faults: deliberate defects switched on by config (`faults: [...]`).
 * They exist so every conformance check can be shown to fail: the kill
 * matrix in the project's tests runs the suite once per fault and requires
 * each MUST/SHOULD check to fail under at least one of them.
 *
 * Each entry names the requirement ids (ids of fixtures/catalogue/*.tsv)
 * that the defect violates. Add a fault here in the same change as the code
 * that honours it.
 */
export interface FaultInfo {
  name: string;
  description: string;
  violates: string[];
}

export const FAULTS: FaultInfo[] = [
  // entries are added together with the engine code that honours them
  // RFC 6146 half (engine/nat64): each is a branch marked `// FAULT <name>` there.
  { name: 'address-dependent-mapping', description: 'A new BIB entry (new IPv4 transport address) per destination address instead of one per IPv6 source transport address.', violates: ['6146-5.2-eim', '4787-4.1-req1-eim', '5382-4.1-req1-eim', '5508-3.1-req1a-eim'] },
  { name: 'no-port-preservation-range', description: 'External ports are drawn from the whole range, ignoring the 0-1023 / 1024-65535 split.', violates: ['6146-3.5.1.1-port-low', '6146-3.5.1.1-port-high', '6146-3.5.2.3-port-low', '6146-3.5.2.3-port-high', '4787-4.2.1-req3a-range'] },
  { name: 'no-port-parity', description: 'External UDP ports ignore the parity of the source port.', violates: ['6146-3.5.1.1-parity', '4787-4.2.2-req4-parity'] },
  { name: 'no-paired-pooling', description: 'Each new BIB entry takes the next pool4 address round robin, even when the IPv6 host already has one.', violates: ['6146-3.5.1.1-paired', '6146-3.5.2.3-paired', '6146-3.5.3-bib-create', '4787-4.1-req2-paired', '6888-3-req2-paired-default'] },
  { name: 'predictable-ports', description: 'Ports and identifiers are allocated sequentially from the bottom of their range instead of randomly (RFC 6056).', violates: ['6888-5-req15-unguessable', '7857-9-rand-nopreserve', '7857-9-rand-parity'] },
  { name: 'no-hairpin', description: 'Packets from the IPv6 side to [Pref64::pool4 address] are dropped instead of hairpinned.', violates: ['6146-3.8-hairpin-udp', '6146-3.8-hairpin-tcp', '6146-3.6-dst-algorithmic', '4787-6-req9-hairpin', '5382-7.2-req8-hairpin'] },
  { name: 'hairpin-wrong-source', description: "Hairpinned packets carry the sender's IPv6 transport address as source instead of its mapped [Pref64::T]:t.", violates: ['6146-3.8-hairpin-udp', '4787-6-req9a-ext-src', '5382-7.2-req8a-ext-src'] },
  { name: 'eif-filtering-broken', description: 'Configured endpoint-independent filtering behaves as address-dependent: inbound packets from remotes the host never contacted are dropped.', violates: ['6146-3.5.1-eif-new-session', '6146-3.5.3-v4-query-new-session', '6146-3.5.2.2-v4syn-bib-eif-fwd'] },
  { name: 'adf-filter-ignored', description: 'Configured address-dependent filtering is not applied: any remote reaches an existing mapping.', violates: ['6146-3.5.1-adf-filter', '6146-3.5.3-adf', '6146-3.8-hairpin-filter', '6146-3.5.2.2-v4syn-bib-adf-hold'] },
  { name: 'accept-inbound-without-bib', description: 'Inbound UDP or ICMP queries to a pool address without a BIB entry are delivered to some IPv6 host bound to that address.', violates: ['6146-3.5.1-v4-no-bib-drop', '6146-3.5.3-v4-no-bib-drop'] },
  { name: 'translate-nonglobal-wkp', description: 'Packets whose Well-Known-Prefix address embeds a non-global IPv4 address are translated instead of dropped.', violates: ['6052-3.1-wkp-drop-dst', '6052-3.1-wkp-drop-src', '6052-3.1-wkp-no-nonglobal-repr'] },
  { name: 'accept-pref64-source', description: 'IPv6 packets whose source lies inside Pref64::/n are translated instead of dropped.', violates: ['6146-3.5-drop-src-pref64'] },
  { name: 'no-static-bib', description: 'Static BIB entries of the configuration are ignored.', violates: ['6146-3.1-static-bib', '6146-3.1-static-bib-persist'] },
  { name: 'icmp-id-not-translated', description: 'ICMP echo identifiers are left as the sender chose them instead of the BIB identifier (i1 <-> i2).', violates: ['6146-3.5.3-translate'] },
  { name: 'udp-no-refresh', description: 'Outbound UDP packets do not reset the session lifetime.', violates: ['6146-3.5.1-refresh', '4787-4.3-req6-outbound-refresh'] },
  { name: 'inbound-refresh', description: 'Inbound packets that filtering drops still extend the lifetime of every session of the mapping.', violates: ['7857-7-eif-no-refresh'] },
  { name: 'icmp-error-refresh', description: 'ICMP error messages refresh the session they refer to.', violates: ['6146-3.5-icmperr-no-state', '5508-4.3-req6-no-refresh', '7857-7.1-no-refresh-errors'] },
  { name: 'unknown-protocol-forwarded', description: 'Packets of protocols other than TCP, UDP and ICMP are translated (IPv6 side: from the host pool address; IPv4 side: to a host bound to the pool address) instead of dropped with an ICMP error.', violates: ['6146-3.4-unknown-proto6-drop', '6146-3.4-unknown-proto6-icmp', '6146-3.4-unknown-proto4-drop', '6146-3.4-unknown-proto4-icmp'] },
  // RFC 7915 half (engine/xlat): each is an `if (hasFault(opts, '<name>'))` branch there.
  { name: 'no-hop-limit-decrement', description: 'The IPv4 TTL / IPv6 Hop Limit is copied instead of decremented by one (expiry at 1 is still detected).', violates: ['7915-4.1-hop-limit', '7915-5.1-ttl'] },
  { name: 'no-time-exceeded', description: 'A packet whose TTL / Hop Limit would reach zero is dropped silently instead of answered with ICMPv4 11/0 or ICMPv6 3/0.', violates: ['7915-4.1-ttl-expired', '7915-5.1-hlim-expired', '5508-7.2-time-exceeded', '5508-7-req10a-te'] },
  { name: 'wrong-traffic-class', description: 'The IPv4 TOS / IPv6 Traffic Class octet is zeroed instead of copied.', violates: ['7915-4.1-tc-copy', '7915-5.1-tos-copy'] },
  { name: 'tos-knob-ignored', description: 'The settings "Traffic Class 0" (IPv4->IPv6) and "fixed TOS" (IPv6->IPv4) have no effect; the octet is copied.', violates: ['7915-4.1-tc-zero-knob', '7915-5.1-tos-knob'] },
  { name: 'nonzero-flow-label', description: 'Translated IPv6 packets carry a flow hash in the Flow Label instead of zero.', violates: ['7915-4.1-flow-label'] },
  { name: 'drop-zero-udp-checksum', description: 'Unfragmented IPv4 UDP with a zero checksum is dropped instead of given a computed checksum.', violates: ['6146-3.4-udp0-checksum'] },
  { name: 'keep-zero-udp-checksum', description: 'IPv4 UDP with a zero checksum (fragments included) is forwarded to IPv6 with checksum 0.', violates: ['6146-3.4-udp0-checksum', '6146-3.4-udp0-frag-reassemble'] },
  { name: 'bad-transport-checksum', description: 'TCP, UDP and ICMP checksums are left as received instead of adjusted for the new pseudo-header, ports, identifier and type.', violates: ['7915-4.5-l4-checksum', '7915-5.5-l4-checksum', '7915-4.2-checksum', '7915-5.2-checksum', '7915-4.2-echo-request', '7915-4.2-echo-reply', '6146-3.7-l4-rewrite'] },
  { name: 'df-always-set', description: 'IPv6->IPv4: DF is set on every packet, including those of 1260 bytes or less and translated fragments.', violates: ['7915-5-df-rule', '7915-5.1.1-mf-df'] },
  { name: 'df-never-set', description: 'IPv6->IPv4: DF is cleared on every packet, including those larger than 1260 bytes.', violates: ['7915-5-df-rule'] },
  { name: 'translate-icmp-info', description: 'ICMP messages that must be dropped silently (ICMPv4 timestamp, information, address mask, router discovery, unknown queries; ICMPv6 MLD, ND, unknown informational; IGMP) are forwarded with the type number unchanged.', violates: ['7915-4.2-info-drop', '7915-4.2-timestamp-drop', '7915-4.2-addrmask-drop', '7915-4.2-rtradv-drop', '7915-4.2-rtrsol-drop', '7915-4.2-unknown-drop', '7915-4.2-igmp-drop', '7915-5.2-mld-drop', '7915-5.2-nd-drop', '7915-5.2-unknown-info-drop'] },
  { name: 'echo-type-untranslated', description: 'Echo Request/Reply keep their type number (8/0 into ICMPv6, 128/129 into ICMPv4).', violates: ['7915-4.2-echo-request', '7915-4.2-echo-reply', '7915-5.2-echo-request', '7915-5.2-echo-reply', '7915-4.2-type-translated', '7915-5.2-type-translated'] },
  { name: 'icmp-protocol-untranslated', description: 'The protocol number is copied as is: ICMP (1) stays 1 in the IPv6 Next Header / Fragment Header, ICMPv6 (58) stays 58 in the IPv4 Protocol.', violates: ['7915-4.1-next-header', '7915-4.1-fh-nexthdr', '7915-5.1-protocol', '7915-5.1.1-protocol', '6146-3.6.1-proto'] },
  { name: 'ext-headers-not-skipped', description: 'IPv6->IPv4 with Hop-by-Hop, Destination Options, Routing or Fragment headers: Protocol is the fixed header\'s Next Header and Total Length still counts the extension headers.', violates: ['7915-5.1-ext-skip', '7915-5.1-protocol', '7915-5.1.1-total-length'] },
  { name: 'routing-header-ignored', description: 'A Routing header with Segments Left != 0 is skipped like one with 0: the packet is translated instead of answered with ICMPv6 Parameter Problem.', violates: ['7915-5.1-rh-sl-drop', '7915-5.1-rh-sl-icmp'] },
  { name: 'fragment-ext-chain-translated', description: 'IPv6 fragments whose Fragment Header is followed by another extension header (not ESP) are translated instead of dropped.', violates: ['7915-5.1.1-fh-ext-drop'] },
  { name: 'fragment-header-ignored', description: 'Fragments are translated as whole packets: IPv4 fragments get no Fragment Header; the IPv6 Fragment Header is skipped (MF 0, offset 0, Identification from the generator, DF by the 1260 rule).', violates: ['7915-4.1-fh-when', '7915-4.1-fh-nexthdr', '7915-4.1-fh-offset-m', '7915-4.1-fh-id', '7915-5.1.1-id', '7915-5.1.1-mf-df', '7915-5.1.1-offset'] },
  { name: 'atomic-fragments', description: 'IPv4->IPv6: unfragmented DF=0 packets get a Fragment Header (offset 0, M 0), the deprecated RFC 6145 behaviour.', violates: ['7915-4-df0-no-atomic'] },
  { name: 'source-route-ignored', description: 'IPv4 packets with an unexpired loose/strict source route option are translated instead of dropped with ICMPv4 3/5.', violates: ['7915-4.1-srr-drop', '7915-4.1-srr-icmp'] },
  { name: 'drop-ipv4-options', description: 'IPv4 packets carrying any option are dropped instead of translated with the options ignored.', violates: ['7915-4.1-options-ignored'] },
  { name: 'illegal-source-translated', description: 'Packets from illegal sources (IPv4 0/8, 127/8, multicast, class E; IPv6 ::, ::1, multicast) are translated instead of dropped.', violates: ['7915-4.1-illegal-src4', '7915-5.1-illegal-src6'] },
  { name: 'icmp-error-dscp-zero', description: 'ICMP errors the translator originates carry DSCP 0 instead of the DSCP of the packet that caused them.', violates: ['5508-7-req10d-ds'] },
  { name: 'icmp-error-storm', description: 'ICMP errors are originated even where RFC 1812 4.3.2.7 / RFC 4443 2.4(e) forbid it (about ICMP errors, multicast, invalid sources, non-first fragments).', violates: ['5508-7-req10e-when-not'] },
  // Added with the addressing and header-translation suites (branches marked `// FAULT <name>`).
  { name: 'embed-octets-reversed', description: 'IPv4->IPv6: the IPv4 octets are written into the IPv6 representation in reverse order (a missing byte swap), at every prefix length.', violates: ['6052-2.2-embed-32', '6052-2.2-embed-40', '6052-2.2-embed-48', '6052-2.2-embed-56', '6052-2.2-embed-64', '6052-2.2-embed-96', '6052-2.2-embed-wkp', '6052-3.3-format', '6146-3.5.4-rfc6052-support', '6146-3.5.4-rfc6052-default', '6146-3.5.4-reversible', '6146-3.5.4-use-configured', '7915-6-rfc6052', '7915-4.6-translate'] },
  { name: 'extract-octets-reversed', description: 'IPv6->IPv4: the IPv4 address is read out of the IPv6 destination in reverse octet order (a missing byte swap), at every prefix length.', violates: ['6052-2.2-embed-32', '6052-2.2-embed-40', '6052-2.2-embed-48', '6052-2.2-embed-56', '6052-2.2-embed-64', '6052-2.2-embed-96', '6052-2.2-embed-wkp', '6146-3-pref64', '6146-3.5.4-rfc6052-support', '7915-5.6-translate'] },
  { name: 'embed-reserved-bits-set', description: 'Composed IPv4-embedded addresses (prefixes shorter than /96) carry non-zero bits in the u octet and the suffix (an unzeroed buffer).', violates: ['6052-2.2-u-zero', '6052-2.2-suffix-zero', '6052-3.3-format', '6052-2.2-embed-32', '6052-2.2-embed-40', '6052-2.2-embed-48', '6052-2.2-embed-56', '6052-2.2-embed-64'] },
  { name: 'nonzero-suffix-rejected', description: 'IPv6 destinations whose u octet or suffix bits are non-zero are not recognised as Pref64 addresses and are not translated.', violates: ['6052-2.2-suffix-ignore'] },
  { name: 'reply-source-from-session', description: 'IPv4->IPv6: the source is the IPv6 address the host once sent to (including any suffix it chose), not the representation computed from the IPv4 source.', violates: ['6146-3.5.4-inputs'] },
  { name: 'pref64-prefix-unchecked', description: 'IPv6 packets to any destination are translated, the IPv4 address taken from the last 32 bits, whether or not the destination lies inside Pref64::/n.', violates: ['6146-3.5-dst-must-be-pref64', '6146-3.5.4-use-configured'] },
  { name: 'pool4-destination-unchecked', description: 'IPv4 packets to addresses outside pool4 are processed, matched against the BIB by port alone.', violates: ['6146-3.5-dst-must-be-pool'] },
  { name: 'ipv4-id-zero', description: 'IPv6->IPv4: every translated packet gets Identification 0, including DF=0 packets that may be fragmented later.', violates: ['7915-5.1-ip-id', '7857-10-ipid'] },
  { name: 'igmp-translated', description: 'IGMP (IPv4 protocol 2) to a pool address is forwarded to a host bound to that address instead of dropped.', violates: ['7915-4.2-igmp-drop'] },
  { name: 'total-length-counts-ipv6-header', description: 'IPv6->IPv4: Total Length is the IPv6 Payload Length plus 40 (the IPv6 header size) instead of plus 20.', violates: ['7915-5.1-basic-fields'] },
  { name: 'large-packets-reordered', description: 'Translated packets over 1024 octets take a slow path and leave after the output of the next packet, so later small packets overtake them.', violates: ['7915-5-order-v6v4', '7915-4-order-v4v6'] },
  { name: 'payload-alg', description: 'An ALG on ports 53, 554, 1720 and 5060 rewrites address literals in UDP and TCP payloads, and turns A records of DNS answers into AAAA records under Pref64 (NAT-PT DNS-ALG).', violates: ['4787-7-req10-alg-off', '5382-6-req6-alg'] },
  // Added with the udp, icmp-query and hairpinning suites (RFC 6146 half, branches marked `// FAULT <name>` in engine/nat64).
  { name: 'udp-bib-outbound-only', description: 'Dynamic UDP BIB entries are created and used for outbound packets but never found from the IPv4 side, so nothing sent to (T,t) gets back to (X\',x).', violates: ['6146-3.5.1-bib-create', '6146-3.6.1-v4v6-tuple', '6146-3.8-hairpin-udp', '4787-6-req9-hairpin'] },
  { name: 'dynamic-bib-kept', description: 'A dynamic UDP or ICMP BIB entry stays after its last session expired, so inbound traffic to (T,t) is still translated (with endpoint-independent filtering).', violates: ['6146-3.1-dyn-bib-removal'] },
  { name: 'udp-short-lifetime', description: 'UDP sessions idle out after 60 s whatever the configured UDP timeout (below UDP_MIN).', violates: ['6146-3.5.1-lifetime-min', '6146-3.5.1-lifetime-default', '4787-4.3-req5-2min', '4787-4.3-req5c-5min'] },
  { name: 'icmp-short-lifetime', description: 'ICMP query sessions idle out after 30 s whatever the configured ICMP timeout.', violates: ['6146-3.5.3-lifetime-default', '6146-3.5.3-lifetime-config', '5508-3.2-req2-60s', '5508-3.2-req2a-config'] },
  // Mapping and filtering suites (engine/nat64): each is a branch marked `// FAULT <name>` there.
  { name: 'source-outside-pool4', description: 'IPv6->IPv4 translated packets leave from 203.0.113.254 (an interface address outside pool4) instead of the pool address T of their BIB entry.', violates: ['6146-3-v4pool'] },
  { name: 'port-overloading', description: "New TCP and UDP mappings keep the source port on the host's pool address even when another IPv6 source already holds that (T,t) (RFC 4787 \"port overloading\"); the newer host takes over inbound traffic.", violates: ['6146-3.5.1.1-unique', '6146-3.5.2.3-unique', '4787-4.2.1-req3-no-overload', '5382-7.1-req7-no-overload'] },
  { name: 'nondeterministic-collision', description: 'Once another IPv6 host holds the same source port, the new mappings of a host are made per destination: endpoint-independent mapping for the first host only (the RFC 4787 §8 non-deterministic NAT).', violates: ['4787-8-req11-deterministic'] },
  { name: 'protocol-independent-eim', description: "TCP and UDP share one mapping per (X',x): a new entry takes the (T,t) of the other protocol's entry, and a session does not expire while the other protocol still has a live session.", violates: ['7857-5-eim-proto-dep', '7857-5-eim-default'] },
  { name: 'protocol-independent-eif', description: "Inbound TCP or UDP to a (T,t) that only the other protocol's BIB holds is delivered to that entry's IPv6 transport address.", violates: ['7857-6-eif-proto-dep', '7857-6-eif-default'] },
  { name: 'port-dependent-filtering', description: 'Filtering is address- and port-dependent in either configured mode: inbound TCP/UDP passes only with a session to the exact remote address and port.', violates: ['6146-3.5.1-adf-any-port', '6146-3.5.1-eif-new-session', '4787-5-req8-filtering', '5382-4.3-req3-filtering', '6888-3-req7-eif'] },
  { name: 'adf-per-host', description: 'Address-dependent filtering admits W when any mapping of the same IPv6 host has a session with W, instead of requiring a session of the mapping (T,t) itself.', violates: ['6146-3.5.1-adf-filter', '6146-3.5.3-adf'] },
  { name: 'static-bib-expires', description: 'A static UDP or ICMP BIB entry is deleted when its last session expires, like a dynamic one.', violates: ['6146-3.1-static-bib-persist'] },
];

export function isKnownFault(name: string): boolean {
  return FAULTS.some((f) => f.name === name);
}
