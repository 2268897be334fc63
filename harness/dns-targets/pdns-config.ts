/**
 * recursor.conf (and its Lua file) for PowerDNS Recursor as a DNS64 in the
 * DNS lab: the shipped defaults plus the prefix, the lab trust anchor in
 * place of the built-in root anchor, and root hints at the authority.
 */
import { DNS } from '../dns/names';
import type { LabSettings, ServerPlan } from './server-process';
import { parseDs, rootHints } from './server-process';

export function pdnsPlan(s: LabSettings): ServerPlan {
  const ds = parseDs(s.trustAnchor);
  const conf = [
    `local-address=${DNS.resolverAddress}`,
    `local-port=${s.port}`,
    'daemon=no',
    `socket-dir=${s.dir}`,
    // Upstream queries from an address of its own, so the lab can tell PowerDNS's traffic apart.
    `query-local-address=${s.queryFrom}`,
    `hint-file=${s.dir}/root.hints`,
    // The default dont-query list holds 127.0.0.0/8, where the lab's root server is.
    'dont-query=',
    ...s.prefixes.map((p) => `dns64-prefix=${p.prefix}`),
    `dnssec=${s.validate ? 'validate' : 'process-no-validate'}`,
    `lua-config-file=${s.dir}/recursor.lua`,
    ...(s.aclSet ? [`allow-from=${s.acl.join(', ')}`] : []),
  ];
  const lua = [
    // The built-in root anchor cannot validate the lab's unsigned fake root; only signed.test is anchored.
    'clearTA()',
    ...(s.validate ? [`addTA('${ds.owner}', '${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${ds.digest}')`] : []),
  ];
  return {
    files: { 'recursor.conf': conf.join('\n') + '\n', 'recursor.lua': lua.join('\n') + '\n', 'root.hints': rootHints() },
    argv: ['pdns_recursor', `--config-dir=${s.dir}`],
    mode: 'root',
  };
}
