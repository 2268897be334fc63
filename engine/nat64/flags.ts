/**
 * The named faults of engine/faults.ts that the RFC 6146 half honours, read
 * once from the config into booleans so the per-packet code tests a field,
 * not a list. Every use of a flag in engine/nat64 is a small branch marked
 * `// FAULT <name>`.
 */
export interface FaultFlags {
  addressDependentMapping: boolean;
  noPortPreservationRange: boolean;
  noPortParity: boolean;
  noPairedPooling: boolean;
  predictablePorts: boolean;
  noHairpin: boolean;
  hairpinWrongSource: boolean;
  eifFilteringBroken: boolean;
  adfFilterIgnored: boolean;
  acceptInboundWithoutBib: boolean;
  translateNonglobalWkp: boolean;
  acceptPref64Source: boolean;
  noStaticBib: boolean;
  icmpIdNotTranslated: boolean;
  udpNoRefresh: boolean;
  inboundRefresh: boolean;
  icmpErrorRefresh: boolean;
  unknownProtocolForwarded: boolean;
  // Faults added with the addressing and header-translation suites.
  embedOctetsReversed: boolean;
  extractOctetsReversed: boolean;
  embedReservedBitsSet: boolean;
  nonzeroSuffixRejected: boolean;
  replySourceFromSession: boolean;
  pref64PrefixUnchecked: boolean;
  poolDestinationUnchecked: boolean;
  ipv4IdZero: boolean;
  igmpTranslated: boolean;
  payloadAlg: boolean;
  // Faults added with the udp, icmp-query and hairpinning suites.
  udpBibOutboundOnly: boolean;
  dynamicBibKept: boolean;
  udpShortLifetime: boolean;
  icmpShortLifetime: boolean;
  // Faults added with the mapping and filtering suites.
  sourceOutsidePool4: boolean;
  portOverloading: boolean;
  nondeterministicCollision: boolean;
  protocolIndependentEim: boolean;
  protocolIndependentEif: boolean;
  portDependentFiltering: boolean;
  adfPerHost: boolean;
  staticBibExpires: boolean;
  // Faults added with the tcp-state-machine suite (engine/nat64/tcp-faults.ts, pipeline.ts, engine/index.ts).
  noTcpStateMachine: boolean;
  v4SynNotHeld: boolean;
  heldSynNoIcmp: boolean;
  rstNotTransitory: boolean;
  rstNotTranslated: boolean;
  noEstProbe: boolean;
  finNotTracked: boolean;
  halfCloseTransitory: boolean;
  tcpNoRefresh: boolean;
  noSimultaneousOpen: boolean;
  tcpTransTooShort: boolean;
  tcpEstTooShort: boolean;
  tcpEstTooLong: boolean;
  tcpInitTimeoutIgnored: boolean;
  // Faults added with the icmp-error suite (incoming.ts, pipeline.ts; the first two are RFC 7915 half faults seen here too).
  icmpErrorDropRowsTranslated: boolean;
  icmpErrorInErrorTranslated: boolean;
  innerOptionsOffsetFixed: boolean;
  shortQuoteMatched: boolean;
  icmpErrorTupleUnswapped: boolean;
  icmpErrorDeletesMapping: boolean;
  icmpErrorWithoutMapping: boolean;
  icmpErrorOuterAlgorithmic: boolean;
  icmpErrorFiltered: boolean;
}

/** Fault name -> flag. The names are the ones listed in engine/faults.ts. */
export const FLAG_OF: Readonly<Record<string, keyof FaultFlags>> = {
  'address-dependent-mapping': 'addressDependentMapping',
  'no-port-preservation-range': 'noPortPreservationRange',
  'no-port-parity': 'noPortParity',
  'no-paired-pooling': 'noPairedPooling',
  'predictable-ports': 'predictablePorts',
  'no-hairpin': 'noHairpin',
  'hairpin-wrong-source': 'hairpinWrongSource',
  'eif-filtering-broken': 'eifFilteringBroken',
  'adf-filter-ignored': 'adfFilterIgnored',
  'accept-inbound-without-bib': 'acceptInboundWithoutBib',
  'translate-nonglobal-wkp': 'translateNonglobalWkp',
  'accept-pref64-source': 'acceptPref64Source',
  'no-static-bib': 'noStaticBib',
  'icmp-id-not-translated': 'icmpIdNotTranslated',
  'udp-no-refresh': 'udpNoRefresh',
  'inbound-refresh': 'inboundRefresh',
  'icmp-error-refresh': 'icmpErrorRefresh',
  'unknown-protocol-forwarded': 'unknownProtocolForwarded',
  'embed-octets-reversed': 'embedOctetsReversed',
  'extract-octets-reversed': 'extractOctetsReversed',
  'embed-reserved-bits-set': 'embedReservedBitsSet',
  'nonzero-suffix-rejected': 'nonzeroSuffixRejected',
  'reply-source-from-session': 'replySourceFromSession',
  'pref64-prefix-unchecked': 'pref64PrefixUnchecked',
  'pool4-destination-unchecked': 'poolDestinationUnchecked',
  'ipv4-id-zero': 'ipv4IdZero',
  'igmp-translated': 'igmpTranslated',
  'payload-alg': 'payloadAlg',
  'udp-bib-outbound-only': 'udpBibOutboundOnly',
  'dynamic-bib-kept': 'dynamicBibKept',
  'udp-short-lifetime': 'udpShortLifetime',
  'icmp-short-lifetime': 'icmpShortLifetime',
  'source-outside-pool4': 'sourceOutsidePool4',
  'port-overloading': 'portOverloading',
  'nondeterministic-collision': 'nondeterministicCollision',
  'protocol-independent-eim': 'protocolIndependentEim',
  'protocol-independent-eif': 'protocolIndependentEif',
  'port-dependent-filtering': 'portDependentFiltering',
  'adf-per-host': 'adfPerHost',
  'static-bib-expires': 'staticBibExpires',
  'no-tcp-state-machine': 'noTcpStateMachine',
  'v4-syn-not-held': 'v4SynNotHeld',
  'held-syn-no-icmp': 'heldSynNoIcmp',
  'rst-not-transitory': 'rstNotTransitory',
  'rst-not-translated': 'rstNotTranslated',
  'no-est-probe': 'noEstProbe',
  'fin-not-tracked': 'finNotTracked',
  'half-close-transitory': 'halfCloseTransitory',
  'tcp-no-refresh': 'tcpNoRefresh',
  'no-simultaneous-open': 'noSimultaneousOpen',
  'tcp-trans-too-short': 'tcpTransTooShort',
  'tcp-est-too-short': 'tcpEstTooShort',
  'tcp-est-too-long': 'tcpEstTooLong',
  'tcp-init-timeout-ignored': 'tcpInitTimeoutIgnored',
  'icmp-error-drop-rows-translated': 'icmpErrorDropRowsTranslated',
  'icmp-error-in-error-translated': 'icmpErrorInErrorTranslated',
  'inner-options-offset-fixed': 'innerOptionsOffsetFixed',
  'short-quote-matched': 'shortQuoteMatched',
  'icmp-error-tuple-unswapped': 'icmpErrorTupleUnswapped',
  'icmp-error-deletes-mapping': 'icmpErrorDeletesMapping',
  'icmp-error-without-mapping': 'icmpErrorWithoutMapping',
  'icmp-error-outer-algorithmic': 'icmpErrorOuterAlgorithmic',
  'icmp-error-filtered': 'icmpErrorFiltered',
};

export function faultFlags(faults: readonly string[]): FaultFlags {
  const f = {} as FaultFlags;
  for (const k of Object.values(FLAG_OF)) f[k] = false;
  for (const name of faults) {
    const k = FLAG_OF[name];
    if (k) f[k] = true;
  }
  return f;
}
