// firewall, iptables backend (filter table): CNI-FORWARD, the admin chain, per-IP accepts and the
// ingress-policy isolation stages. Each family's changes are one atomic batch, so a failure leaves
// nothing half-added (the reference's rollback).
import { type IPFamily, IPTables, type Rule, type TableEdit } from '@cni/iptables';
import type { NetNS } from '@cni/ns';
import { type FirewallConf, hostCIDR } from './config.js';

export const PRIV_CHAIN = 'CNI-FORWARD';
export const STAGE1 = 'CNI-ISOLATION-STAGE-1';
export const STAGE2 = 'CNI-ISOLATION-STAGE-2';

const familyOf = (a: string): IPFamily => (a.includes(':') ? 6 : 4);

export function privChainRules(address: string): string[][] {
  const ip = hostCIDR(address);
  return [
    ['-d', ip, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    ['-s', ip, '-j', 'ACCEPT'],
  ];
}

export function filterRule(): string[] {
  return ['-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', PRIV_CHAIN];
}

export function adminRule(admin: string): string[] {
  return ['-m', 'comment', '--comment', 'CNI firewall plugin admin overrides', '-j', admin];
}

const DEFAULT_COMMENT = 'CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)';
const withComment = (rule: string[], comment: string): string[] => [
  ...rule,
  '-m',
  'comment',
  '--comment',
  comment,
];

function setupIsolation(t: TableEdit, bridge: string, isolated: boolean): void {
  const policy = `CNI firewall plugin rules (ingressPolicy: ${isolated ? 'isolated' : 'same-bridge'})`;
  t.ensureChain(STAGE1);
  t.ensureChain(STAGE2);
  t.insertUnique('FORWARD', withComment(['-j', STAGE1], DEFAULT_COMMENT), true);
  t.insertUnique(STAGE1, withComment(['-i', bridge, '!', '-o', bridge, '-j', STAGE2], policy), true);
  if (isolated) t.insertUnique(STAGE1, withComment(['-i', bridge, '-o', bridge, '-j', 'DROP'], policy), true);
  t.insertUnique(STAGE1, withComment(['-j', 'RETURN'], DEFAULT_COMMENT), false);
  t.insertUnique(STAGE2, withComment(['-o', bridge, '-j', 'DROP'], DEFAULT_COMMENT), true);
  t.insertUnique(STAGE2, withComment(['-j', 'RETURN'], DEFAULT_COMMENT), false);
}

function bridgeName(conf: FirewallConf): string {
  const intf = conf.prevResult?.interfaces?.[0];
  if (!intf)
    throw new Error(
      `interface needs to be set for ingress policy "${conf.ingressPolicy}", make sure to chain "firewall" plugin with "bridge"`,
    );
  if (!intf.name) throw new Error('got empty bridge name');
  return intf.name;
}

/** ADD: accepts for the result's addresses and, if asked, the isolation stages. */
export function addIPTables(conf: FirewallConf, ns?: NetNS, accepts = true): void {
  const isolation = conf.ingressPolicy === 'same-bridge' || conf.ingressPolicy === 'isolated';
  const bridge = isolation ? bridgeName(conf) : '';
  for (const family of [4, 6] as const) {
    const addrs = conf.addresses.filter((a) => familyOf(a) === family);
    if (addrs.length === 0) continue;
    if (!accepts && !isolation) continue;
    new IPTables(family, { ns }).update('filter', (t) => {
      if (accepts) {
        t.ensureChain(PRIV_CHAIN);
        t.ensureChain(conf.iptablesAdminChainName);
        t.insertUnique('FORWARD', filterRule(), true);
        t.insertUnique(PRIV_CHAIN, adminRule(conf.iptablesAdminChainName), true);
        for (const a of addrs) for (const r of privChainRules(a)) t.appendUnique(PRIV_CHAIN, r);
      }
      if (isolation) setupIsolation(t, bridge, conf.ingressPolicy === 'isolated');
    });
  }
}

/** DEL: remove the per-IP accepts (shared chains and isolation stages stay). */
export function delIPTables(conf: FirewallConf, ns?: NetNS): void {
  for (const family of [4, 6] as const) {
    const addrs = conf.addresses.filter((a) => familyOf(a) === family);
    if (addrs.length === 0) continue;
    new IPTables(family, { ns }).update('filter', (t) => {
      for (const a of addrs) for (const r of privChainRules(a)) t.deleteRule(PRIV_CHAIN, r);
    });
  }
}

/** CHECK: FORWARD jump, admin jump and every per-IP rule must be present. */
export function checkIPTables(conf: FirewallConf, ns?: NetNS): void {
  for (const family of [4, 6] as const) {
    const addrs = conf.addresses.filter((a) => familyOf(a) === family);
    if (addrs.length === 0) continue;
    const ipt = new IPTables(family, { ns });
    ipt.view('filter', (t) => {
      const want: [string, Rule][] = [
        ['FORWARD', filterRule()],
        [PRIV_CHAIN, adminRule(conf.iptablesAdminChainName)],
        ...addrs.flatMap((a) => privChainRules(a).map((r): [string, Rule] => [PRIV_CHAIN, r])),
      ];
      for (const [chain, rule] of want)
        if (!t.hasRule(chain, rule) && !ipt.check('filter', chain, rule))
          throw new Error(`expected ${chain} rule ${rule.join(' ')} not found (${ipt.command})`);
    });
  }
}
