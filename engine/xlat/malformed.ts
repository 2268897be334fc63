/**
 * Which decode notes make a packet untranslatable. `decode` never throws and
 * records problems as text; a packet whose headers are cut short or whose
 * lengths do not fit cannot be translated field by field, so it is dropped
 * (RFC 1812 §5.2.2 / RFC 8200 §4: a router discards malformed headers).
 * Notes about odd but well-formed content (a UDP length that disagrees with
 * the IP length, padding after the last option) do not stop translation:
 * the translator carries such fields as they are.
 */
import { Packet } from '../../harness/packet/types';

const FATAL = /^(ipv4|ipv6|udp|tcp|icmpv4|icmpv6)\b.*(truncated|cut short|runs past|below the minimum|shorter than|header length \d+ bytes exceeds)/;

/** The first note that makes `p` untranslatable, if any. */
export function malformedNote(p: Packet): string | undefined {
  return p.notes?.find((n) => FATAL.test(n));
}
