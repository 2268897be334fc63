/**
 * The packet model shared by the whole project.
 *
 * A packet is a record keyed by layer name, so a field is addressed by a path
 * such as `ipv4.ttl` or `icmpv6.quote.ipv6.hopLimit`. The same shape is the
 * input of `encode` (where computed fields may be left out and are filled in)
 * and the output of `decode` (where every field is present, as seen on the
 * wire, even when it is wrong). Addresses are canonical text (RFC 5952 for
 * IPv6, dotted quad for IPv4).
 */

/** One IPv4 option as it sits on the wire. EOL (0) and NOP (1) carry no length. */
export interface IPv4Option {
  type: number;
  /** Option data after the type and length octets. Absent for EOL/NOP. */
  data?: Buffer;
  /** Length octet as sent; computed as data.length + 2 when left out. */
  length?: number;
  /** Only the type octet is there (it was the header's last octet): malformed, encoded as that one octet. */
  bare?: boolean;
}

export interface IPv4Header {
  version?: number; // 4
  /** Header length in 32-bit words. */
  ihl?: number;
  /** The whole TOS / DSCP+ECN octet: RFC 7915 translates it as one unit. */
  tos?: number;
  totalLength?: number;
  id?: number;
  /** The reserved (first) flag bit. */
  reservedFlag?: boolean;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-octet units, as on the wire. */
  fragOffset?: number;
  ttl?: number;
  protocol?: number;
  checksum?: number;
  src: string;
  dst: string;
  options?: IPv4Option[];
}

/** A type-length-value option of a Hop-by-Hop or Destination Options header. Pad1 has no length. */
export interface IPv6Option {
  type: number;
  data?: Buffer;
  length?: number;
  /** Only the type octet is there (it was the header's last octet): malformed, encoded as that one octet. */
  bare?: boolean;
}

export interface HopByHopHeader {
  kind: 'hop-by-hop';
  nextHeader?: number;
  /** Length in 8-octet units, not counting the first 8 octets. */
  hdrExtLen?: number;
  /** Padding is added when the options do not fill a multiple of 8 octets. */
  options?: IPv6Option[];
}

export interface DestinationOptionsHeader {
  kind: 'destination';
  nextHeader?: number;
  hdrExtLen?: number;
  options?: IPv6Option[];
}

export interface RoutingHeader {
  kind: 'routing';
  nextHeader?: number;
  hdrExtLen?: number;
  routingType?: number;
  segmentsLeft?: number;
  /** Type-specific data after the first four octets (for type 0: 4 reserved octets and the addresses). */
  data?: Buffer;
}

export interface FragmentHeader {
  kind: 'fragment';
  nextHeader?: number;
  /** The reserved octet after Next Header. */
  reserved?: number;
  /** Fragment offset in 8-octet units. */
  offset?: number;
  /** The two reserved bits before the M flag. */
  res?: number;
  m?: boolean;
  id?: number;
}

export type ExtensionHeader = HopByHopHeader | DestinationOptionsHeader | RoutingHeader | FragmentHeader;

export interface IPv6Header {
  version?: number; // 6
  trafficClass?: number;
  flowLabel?: number;
  payloadLength?: number;
  /** Next Header of the fixed header (the first extension header, or the upper layer). */
  nextHeader?: number;
  hopLimit?: number;
  src: string;
  dst: string;
  /** Extension headers in wire order. */
  extensions?: ExtensionHeader[];
}

export interface UDPHeader {
  sport: number;
  dport: number;
  length?: number;
  checksum?: number;
}

export interface TCPFlags {
  fin?: boolean;
  syn?: boolean;
  rst?: boolean;
  psh?: boolean;
  ack?: boolean;
  urg?: boolean;
  ece?: boolean;
  cwr?: boolean;
  /** The ECN-nonce bit (RFC 3540, historic), lowest bit of the data-offset octet. */
  ns?: boolean;
}

/** A TCP option. EOL (0) and NOP (1) carry no length. MSS is kind 2 with a 2-octet value. */
export interface TCPOption {
  kind: number;
  data?: Buffer;
  length?: number;
  /** Only the type octet is there (it was the header's last octet): malformed, encoded as that one octet. */
  bare?: boolean;
}

export interface TCPHeader {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Header length in 32-bit words. */
  dataOffset?: number;
  /** The three reserved bits between data offset and NS. */
  reserved?: number;
  flags?: TCPFlags;
  window?: number;
  checksum?: number;
  urgent?: number;
  options?: TCPOption[];
}

/** One object of an RFC 4884 ICMP extension structure. */
export interface ICMPExtensionObject {
  classNum: number;
  cType: number;
  data: Buffer;
  length?: number;
}

/** The RFC 4884 extension structure that may follow the quoted datagram. */
export interface ICMPExtensions {
  version?: number; // 2
  reserved?: number;
  checksum?: number;
  objects: ICMPExtensionObject[];
}

/**
 * Fields of an ICMP message. Which of the named fields of the second word
 * apply depends on the type (see `icmpLayout`): echo-style messages use `id`
 * and `seq`; errors use `length` (RFC 4884), `mtu` and `pointer`; redirects
 * use `gateway`; anything else keeps the raw word in `rest`.
 */
export interface ICMPCommon {
  type: number;
  code?: number;
  checksum?: number;
  id?: number;
  seq?: number;
  /** ICMPv4 Destination Unreachable code 4 next-hop MTU, ICMPv6 Packet Too Big MTU. */
  mtu?: number;
  /** Parameter Problem pointer (8 bits in ICMPv4, 32 bits in ICMPv6). */
  pointer?: number;
  /** RFC 4884 length of the original datagram: 32-bit words in ICMPv4, 64-bit words in ICMPv6. */
  length?: number;
  /** Bits of the second word not covered by the named fields, as a number in their position. */
  unused?: number;
  /** The whole second word, for types with no named layout. */
  rest?: number;
  /** The quoted original datagram of an error message, decoded as a packet (possibly truncated). */
  quote?: Packet;
  extensions?: ICMPExtensions;
}

export interface ICMPv4Header extends ICMPCommon {
  gateway?: string;
}

export type ICMPv6Header = ICMPCommon;

/**
 * A packet. Exactly one of ipv4 / ipv6 is normally present (a quoted packet
 * may be cut short inside its transport header, and then that layer is
 * absent and its bytes are in `payload`). At most one transport layer is
 * present; `payload` holds the bytes after the last decoded layer.
 */
export interface Packet {
  ipv4?: IPv4Header;
  ipv6?: IPv6Header;
  udp?: UDPHeader;
  tcp?: TCPHeader;
  icmpv4?: ICMPv4Header;
  icmpv6?: ICMPv6Header;
  payload?: Buffer;
  /**
   * Bytes after the end that the IP header declares (link-layer padding, the
   * zero padding of an RFC 4884 quote, or the rest of a packet whose length
   * field lies short). Encoded as given.
   */
  trailer?: Buffer;
  /**
   * Set by `decode` only: what was wrong or cut short in the bytes, one line
   * each (for example "ipv4: totalLength 60 > 40 bytes captured"). Ignored by
   * `encode`. A malformed packet is evidence, never an exception.
   */
  notes?: string[];
}

/** IANA protocol numbers used throughout. */
export const PROTO = {
  HOPOPT: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTE: 43,
  IPV6_FRAG: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  IPV6_NONXT: 59,
  IPV6_OPTS: 60,
  SCTP: 132,
} as const;

export type Side = 6 | 4;
