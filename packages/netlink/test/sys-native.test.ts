// @cni/netlink with the plugin bundle's addon (cni_sys.node) for its socket and ioctl calls, as
// the plugins in dist/cni/bin run it, instead of koffi.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildSysNative } from '@cni-internal/test-kit/sys-native';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

type NL = typeof import('../src/index.js');
type NS = typeof import('@cni/ns');
let nl: NL;
let ns: NS;
const g = globalThis as { __cniTsSysNative?: string };

beforeAll(async () => {
  g.__cniTsSysNative = buildSysNative();
  vi.resetModules();
  ns = await import('@cni/ns');
  nl = await import('../src/index.js');
});
afterAll(() => {
  delete g.__cniTsSysNative;
});

describe('netlink through cni_sys.node', () => {
  it('makes links, addresses and a tap device in a namespace; errors keep their errno', () => {
    const name = `cnitest-nlsys-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
    const path = ns.createNamedNetNS(name);
    const h = ns.NetNS.open(path);
    const sock = nl.Netlink.open(h);
    try {
      const v = sock.linkAdd({ kind: 'veth', name: 'n0', peerName: 'n1' });
      sock.linkSetUp(v.index);
      sock.addrAdd(v.index, '10.99.0.1/24');
      expect(sock.linkByName('n0').index).toBe(v.index);
      const err = (() => {
        try {
          sock.linkByName('absent0');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(nl.isNotFound(err)).toBe(true);
      nl.tuntapCreate(h, { name: 'tap9', mode: 'tap', persist: true });
      const ip = (...a: string[]) => execFileSync('ip', ['-n', name, ...a], { encoding: 'utf8' });
      expect(ip('-br', 'addr', 'show', 'n0')).toContain('10.99.0.1/24');
      expect(ip('-d', 'link', 'show', 'tap9')).toMatch(/tun type tap/);
      expect(readFileSync('/proc/self/maps', 'utf8')).not.toContain('koffi');
    } finally {
      sock.close();
      h.close();
      ns.removeNamedNetNS(path);
    }
  });
});
