/**
 * kresd.conf for Knot Resolver as a DNS64 in the DNS lab: the shipped
 * defaults plus the dns64 module, the lab trust anchor in place of the
 * built-in root anchor, and every query forwarded to the authority.
 *
 * Forward mode, not fake root: policy rules see only the client's name, so
 * a narrower rule would let the dns64 module's own A sub-query and PTR
 * chase go to the real root; and with a fake root kresd does not apply the
 * signed.test island anchor (no AD).
 */
import { DNS } from '../dns/names';
import type { LabSettings, ServerPlan } from './server-process';

/** kresd wants the prefix as an address ("2001:db8:64::"), always /96. */
function prefixAddress(prefix: string): string {
  return prefix.split('/')[0];
}

export function knotPlan(s: LabSettings): ServerPlan {
  // Without a prefix the module still needs config() to switch synthesis on; it then uses 64:ff9b::.
  const dns64: string[] = [];
  if (s.prefixes.length > 0) dns64.push(`prefix = '${prefixAddress(s.prefixes[0].prefix)}'`);
  if (!(s.exclude.length === 1 && s.exclude[0] === '::ffff:0:0/96')) dns64.push(`exclude_subnets = { ${s.exclude.map((e) => `'${e}'`).join(', ')} }`);
  const lines = [
    `net.listen('${DNS.resolverAddress}', ${s.port}, { kind = 'dns' })`,
    // Upstream queries from an address of its own, so the lab can tell kresd's traffic apart.
    `net.outgoing_v4('${s.queryFrom}')`,
    "modules.load('dns64')",
    `dns64.config({${dns64.length ? ` ${dns64.join(', ')} ` : ''}})`,
    // The built-in root anchor cannot validate the lab; only signed.test is anchored.
    "trust_anchors.remove('.')",
    ...(s.validate ? [`trust_anchors.add('${s.trustAnchor.replace(/\s+IN\s+/, ' 3600 ')}')`] : []),
    ...(s.aclSet
      ? ["modules.load('view')", ...s.acl.map((a) => `view:addr('${a}', policy.all(policy.PASS))`), "view:addr('0.0.0.0/0', policy.all(policy.REFUSE))"]
      : []),
    `policy.add(policy.all(policy.FORWARD({'${DNS.authorityAddress}'})))`,
  ];
  return {
    files: { 'kresd.conf': lines.join('\n') + '\n' },
    argv: ['kresd', '-n', '-c', `${s.dir}/kresd.conf`, s.dir],
    mode: 'forward',
  };
}
