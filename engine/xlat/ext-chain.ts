/**
 * The IPv6 extension header chain as RFC 7915 §5.1/§5.1.1 sees it: which
 * headers are skipped, what the upper-layer protocol is, whether a Routing
 * header still has segments to visit, and what the Fragment Header says.
 */
import { upperProtocolOf } from '../../harness/packet/codec';
import { EXT_PROTO, encodeExtension } from '../../harness/packet/ipv6';
import { ExtensionHeader, FragmentHeader, Packet, PROTO } from '../../harness/packet/types';

/**
 * IANA "IPv6 Extension Header Types" (RFC 7045 §2 list plus later additions):
 * Hop-by-Hop, Routing, Fragment, ESP, AH, Destination Options, Mobility,
 * HIP, Shim6 and the two experimental values. §5.1.1 singles out ESP as the
 * one that may follow a Fragment Header.
 */
const EXTENSION_PROTOCOLS: ReadonlySet<number> = new Set([0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254]);

export interface ExtChain {
  /** The first Next Header that is not Hop-by-Hop, Routing or Destination Options (or Fragment). */
  protocol: number;
  /** Octets of extension headers that translation removes (all of them: only these kinds are decoded). */
  skippedLength: number;
  fragment?: FragmentHeader;
  /**
   * Offset from the start of the IPv6 packet of the Segments Left octet of
   * the first Routing header whose Segments Left is not zero: the Pointer
   * of the §5.1 Parameter Problem.
   */
  segmentsLeftPointer?: number;
  /** Set when the Fragment Header's Next Header is an extension header other than ESP (§5.1.1). */
  extensionAfterFragment?: number;
}

/** Wire length of one extension header: the declared length when decoded, the encoded length otherwise. */
export function extensionLength(e: ExtensionHeader): number {
  if (e.kind === 'fragment') return 8;
  if (e.hdrExtLen !== undefined) return (e.hdrExtLen + 1) * 8;
  return encodeExtension(e, 0).length;
}

/** Next Header of extension i: as set, else the kind of what follows (as `encode` would write it). */
function nextHeaderAt(p: Packet, exts: ExtensionHeader[], i: number): number {
  const e = exts[i];
  if (e.nextHeader !== undefined) return e.nextHeader;
  return i + 1 < exts.length ? EXT_PROTO[exts[i + 1].kind] : upperProtocolOf(p);
}

export function walkExtensions(p: Packet): ExtChain {
  const h = p.ipv6;
  if (!h) throw new Error('walkExtensions: not an IPv6 packet');
  const exts = h.extensions ?? [];
  const out: ExtChain = {
    protocol: exts.length ? nextHeaderAt(p, exts, exts.length - 1) : (h.nextHeader ?? upperProtocolOf(p)),
    skippedLength: 0,
  };
  let offset = 40;
  exts.forEach((e, i) => {
    if (e.kind === 'routing' && (e.segmentsLeft ?? 0) !== 0 && out.segmentsLeftPointer === undefined) {
      // Next Header, Hdr Ext Len, Routing Type, then Segments Left: the fourth octet.
      out.segmentsLeftPointer = offset + 3;
    }
    if (e.kind === 'fragment' && !out.fragment) {
      out.fragment = e;
      const next = nextHeaderAt(p, exts, i);
      if (EXTENSION_PROTOCOLS.has(next) && next !== PROTO.ESP) out.extensionAfterFragment = next;
    }
    const len = extensionLength(e);
    offset += len;
    out.skippedLength += len;
  });
  return out;
}
