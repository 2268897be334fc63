/**
 * The lab's DNS test data, as a contract between the zones the harness
 * authority serves (harness/dns/zones.ts) and the DNS64 cases that query
 * them. Every address here exists only inside the lab: the authority hands
 * them out as data, and nothing is ever sent to them.
 *
 * Owner names are relative to ZONE unless they end with a dot. Names that
 * begin with `*.` are wildcards, so each case can use a fresh owner name
 * (`<case-id>.a.fresh.dns64.test`) and no cache can distort TTLs or DNSSEC
 * bits between cases.
 */
export const DNS = {
  zone: 'dns64.test',
  signedZone: 'signed.test',
  /** A second zone with a short SOA MINIMUM (30 s), for the negative-TTL rule of §5.1.7. */
  shortSoaZone: 'soa30.test',
  /** A zone outside dns64.test, for CNAME/DNAME chains that leave the zone. */
  otherZone: 'other.test',
  /** SOA of dns64.test and signed.test: record TTL 600, MINIMUM 300 (so NODATA carries SOA TTL 300). */
  soa: { ttl: 600, minimum: 300 },
  /** In the DNS namespace of a real lab: the harness authority, and where resolvers listen. */
  authorityAddress: '127.0.0.2',
  authorityPort: 53,
  resolverAddress: '127.0.0.1',
  /** Ports per DNS64 target in the DNS namespace. */
  ports: { bind: 5301, unbound: 5302, pdns: 5303, knot: 5304, own: 5305 } as Record<string, number>,
  /** Prefix used by a configured per-range (§5.2) second Pref64. */
  secondPrefix: '2001:db8:65::/96',
  /** The well-known name (RFC 7050 / RFC 8880) and its addresses. */
  ipv4only: { name: 'ipv4only.arpa', addresses: ['192.0.0.170', '192.0.0.171'] },
} as const;

/**
 * Names in dns64.test and what they hold. Types not listed do not exist at
 * the name (NODATA), names not listed do not exist (NXDOMAIN).
 */
export const NAMES = {
  aOnly: { name: 'a-only', a: ['100.0.0.10'], ttl: 3600 },
  aMulti: { name: 'a-multi', a: ['100.0.0.11', '100.0.0.12'], ttl: 3600 },
  aShort: { name: 'a-short', a: ['100.0.0.13'], ttl: 60 },
  dual: { name: 'dual', a: ['100.0.0.20'], aaaa: ['2001:db8:d0a1::20'], ttl: 3600 },
  aaaaOnly: { name: 'aaaa-only', aaaa: ['2001:db8:d0a1::21'], ttl: 3600 },
  /** Only an IPv4-mapped AAAA and no A: after exclusion nothing is left to synthesise from. */
  mappedOnly: { name: 'mapped-only', aaaa: ['::ffff:100.0.0.22'], ttl: 3600 },
  /** Only an IPv4-mapped AAAA, plus an A: synthesis from the A (§5.1.4). */
  mappedA: { name: 'mapped-a', a: ['100.0.0.23'], aaaa: ['::ffff:100.0.0.23'], ttl: 3600 },
  /** A mapped AAAA next to a good one, plus an A: the good AAAA is kept, the mapped one dropped. */
  mappedMixed: { name: 'mapped-mixed', a: ['100.0.0.24'], aaaa: ['::ffff:100.0.0.24', '2001:db8:d0a1::24'], ttl: 3600 },
  /** AAAA in 2001:db8:bad::/48, the range cases add to the configured exclusion list. */
  excluded: { name: 'excluded', a: ['100.0.0.25'], aaaa: ['2001:db8:bad::25'], ttl: 3600 },
  excludedMixed: { name: 'excluded-mixed', a: ['100.0.0.26'], aaaa: ['2001:db8:bad::26', '2001:db8:d0a1::26'], ttl: 3600 },
  excludeRange: '2001:db8:bad::/48',
  /** cname1 -> cname2 -> a-only; cname-dual -> dual; cname-out -> a-only.other.test (leaves the zone). */
  cname1: { name: 'cname1', cname: 'cname2.dns64.test' },
  cname2: { name: 'cname2', cname: 'a-only.dns64.test' },
  cnameDual: { name: 'cname-dual', cname: 'dual.dns64.test' },
  cnameOut: { name: 'cname-out', cname: 'a-only.other.test' },
  /** sub.dns64.test DNAME sub.other.test; host.sub.other.test A 100.0.0.30. Query host.sub.dns64.test. */
  dname: { name: 'sub', dname: 'sub.other.test', host: 'host.sub', target: 'host.sub.other.test', a: ['100.0.0.30'] },
  nxdomain: { name: 'does-not-exist' },
  /** Exists (TXT) with neither A nor AAAA. */
  nodata: { name: 'nodata', txt: 'exists but has no A or AAAA' },
  /** AAAA answered SERVFAIL / REFUSED / never (dropped); A answered normally. */
  servfailAaaa: { name: 'servfail-aaaa', a: ['100.0.0.31'], ttl: 3600 },
  refusedAaaa: { name: 'refused-aaaa', a: ['100.0.0.32'], ttl: 3600 },
  timeoutAaaa: { name: 'timeout-aaaa', a: ['100.0.0.33'], ttl: 3600 },
  /** AAAA answered NXDOMAIN (with the zone's SOA) while A has an address: §5.1.2 says the NXDOMAIN stands. */
  nxdomainAaaa: { name: 'nxdomain-aaaa', a: ['100.0.0.38'], ttl: 3600 },
  /**
   * Its A response carries the zone's NS in the authority section and the
   * name server's address in the additional section, as servers without
   * minimal responses send them (§5.3.2: that section is passed on unchanged).
   */
  withAdditional: { name: 'with-additional', a: ['100.0.0.39'], ttl: 3600 },
  /**
   * A NAT64 FQDN (RFC 7050 §3.1.1): real AAAA records inside the lab Pref64
   * 2001:db8:64::/96 (Pref64::192.0.0.170 and ::171), and no A.
   */
  nat64Fqdn: { name: 'nat64', aaaa: ['2001:db8:64::c000:aa', '2001:db8:64::c000:ab'], ttl: 3600 },
  /** AAAA NODATA; A answered SERVFAIL. */
  servfailA: { name: 'servfail-a' },
  /** AAAA answered after 1500 ms; A at once (for §5.1.8 parallel queries). */
  slowAaaa: { name: 'slow-aaaa', a: ['100.0.0.37'], ttl: 3600, delayMs: 1500 },
  /** AAAA NODATA without an SOA in the authority section (§5.1.7 no-SOA rule). */
  noSoa: { name: 'no-soa', a: ['100.0.0.35'], ttl: 3600 },
  /** Non-global IPv4 (RFC 6052 §3.1 under the well-known prefix). */
  private10: { name: 'priv10', a: ['10.1.2.3'], ttl: 3600 },
  loopback: { name: 'loop127', a: ['127.0.0.5'], ttl: 3600 },
  testNet: { name: 'tnet2', a: ['198.51.100.7'], ttl: 3600 },
  mixedGlobal: { name: 'mixed', a: ['10.1.2.4', '100.0.0.34'], ttl: 3600 },
  /** An A in the range served by DNS.secondPrefix when a case configures per-range prefixes (101.0.0.0/8). */
  secondRange: { name: 'second-range', a: ['101.0.0.40'], ttl: 3600, range: '101.0.0.0/8' },
  /** 40 A records: the synthesised AAAA answer cannot fit 512 octets (TC over UDP without EDNS). The A answer itself is over 512 too. */
  big: { name: 'big', aCount: 40, firstA: '100.0.1.1', ttl: 3600 },
  /** 24 A records: the synthesised AAAA answer needs more than 512 octets but fits 1232, compressed or not. */
  medium: { name: 'medium', aCount: 24, firstA: '100.0.2.1', ttl: 3600 },
  /** MX 10 a-only.dns64.test, with a-only's A in the additional section (§5.3.2/§5.3.3). */
  mx: { name: 'mx', exchange: 'a-only.dns64.test' },
  /** Class CH A record at the same name as a-only (non-IN class, §5.1). */
  chaos: { name: 'a-only', class: 'CH', a: ['100.0.0.10'] },
  /** Wildcards for fresh names: *.a.fresh (A 100.0.0.70), *.dual.fresh (A 100.0.0.71 + AAAA 2001:db8:d0a1::71), *.nodata.fresh (TXT only). */
  freshA: { suffix: 'a.fresh', a: ['100.0.0.70'], ttl: 3600 },
  freshDual: { suffix: 'dual.fresh', a: ['100.0.0.71'], aaaa: ['2001:db8:d0a1::71'], ttl: 3600 },
  freshNodata: { suffix: 'nodata.fresh' },
  /** In soa30.test (SOA MINIMUM 30): A TTL 3600, AAAA NODATA whose SOA says 30. */
  shortSoa: { name: 'a-only.soa30.test', a: ['100.0.0.36'], ttl: 3600 },
  /** In other.test. */
  otherA: { name: 'a-only.other.test', a: ['100.0.0.10'], ttl: 3600 },
} as const;

/** Names in signed.test (signed with real DNSSEC tooling; trust anchor: the DS in fixtures/zones). */
export const SIGNED = {
  aOnly: { name: 'a-only.signed.test', a: ['100.0.0.50'], ttl: 3600 },
  dual: { name: 'dual.signed.test', a: ['100.0.0.51'], aaaa: ['2001:db8:d0a1::51'], ttl: 3600 },
  nodata: { name: 'nodata.signed.test' },
  /** A whose signature does not verify (the RRset changed after signing): bogus. */
  bogus: { name: 'bogus.signed.test', a: ['100.0.0.52'], ttl: 3600 },
  /**
   * A whose signature verifies, but the NSEC that denies its AAAA was
   * altered after signing (TXT added to its type bitmap): the NODATA is
   * bogus while the A validates (§5.5: no synthesis from it).
   */
  badDenial: { name: 'bad-denial.signed.test', a: ['100.0.0.54'], ttl: 3600 },
  /** Wildcard for fresh names: *.fresh.signed.test A 100.0.0.53. */
  fresh: { suffix: 'fresh.signed.test', a: ['100.0.0.53'], ttl: 3600 },
} as const;

/**
 * Reverse data: 100.in-addr.arpa holds PTRs for 100.0.0.10 (a-only.dns64.test.)
 * and 100.0.0.20 (dual.dns64.test.); 100.0.0.99 has none (NXDOMAIN).
 */
export const REVERSE = {
  zone: '100.in-addr.arpa',
  ptr: { '100.0.0.10': 'a-only.dns64.test', '100.0.0.20': 'dual.dns64.test' } as Record<string, string>,
  missing: '100.0.0.99',
} as const;
