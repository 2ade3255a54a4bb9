// Self-checks of the User-Mode Linux lane: these assume they run inside the guest that
// scripts/uml/run.sh boots (they are not meant to run anywhere else).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { release } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';

interface Mount {
  point: string;
  fstype: string;
}
function mounts(): Mount[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const f = l.split(' ');
      const sep = f.indexOf('-');
      return { point: f[4] ?? '', fstype: f[sep + 1] ?? '' };
    });
}
const fsOf = (point: string) =>
  mounts()
    .filter((m) => m.point === point)
    .at(-1)?.fstype;

function sh(t: TestNetNS, cmd: string, args: string[]): { status: number | null; out: string } {
  const r = t.run(() => spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 }));
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the UML lane guest', () => {
  let nss: TestNetNS[] = [];
  afterEach(() => {
    for (const t of nss) destroyNetNS(t);
    nss = [];
  });

  it('runs the UML kernel from /usr/lib/uml/modules', () => {
    expect(readFileSync(`/lib/modules/${release()}/modules.dep`, 'utf8')).toContain('8021q.ko');
    expect(process.env['CNI_TS_REPO']).toBe('/run/cni-uml/repo');
    expect(process.cwd()).toBe('/run/cni-uml/repo');
  });

  it('has a private root: an overlay, private tmpfs, and the work dir as its only host mount', () => {
    expect(fsOf('/')).toBe('overlay');
    for (const p of ['/run', '/tmp', '/dev/shm']) expect(fsOf(p), p).toBe('tmpfs');
    expect(fsOf('/proc')).toBe('proc');
    expect(fsOf('/sys')).toBe('sysfs');
    expect(
      mounts()
        .filter((m) => m.fstype === 'hostfs')
        .map((m) => m.point),
    ).toEqual(['/run/cni-uml/work']);
    // A write outside the work dir stays in the guest's overlay.
    writeFileSync('/etc/cni-uml-lane-probe', 'guest only');
    expect(readFileSync('/etc/cni-uml-lane-probe', 'utf8')).toBe('guest only');
    rmSync('/etc/cni-uml-lane-probe');
  });

  it('loads other modules on demand (the private /lib/modules points at the UML modules)', () => {
    const t = makeNetNS('autoload');
    nss.push(t);
    // Neither module is in the lane's explicit list: the kernel asks modprobe for them.
    expect(sh(t, 'ip', ['link', 'add', 'ifb0', 'type', 'ifb']).status).toBe(0);
    expect(sh(t, 'ip', ['link', 'add', 'nlmon0', 'type', 'nlmon']).status).toBe(0);
    const kinds = JSON.parse(sh(t, 'ip', ['-j', '-d', 'link', 'show']).out) as {
      ifname: string;
      linkinfo?: { info_kind: string };
    }[];
    expect(kinds.map((l) => l.linkinfo?.info_kind)).toEqual(expect.arrayContaining(['ifb', 'nlmon']));
  });

  it('runs iptables-legacy (x_tables) NAT inside a namespace', () => {
    // Debian's UML kernel has no NF_TABLES_IPV4/IPV6/INET: iptables-nft and `nft` cannot make
    // ip/ip6/inet tables there. The x_tables backend (iptables-legacy) works.
    const t = makeNetNS('nf');
    nss.push(t);
    const add = sh(t, 'iptables-legacy', ['-w', '-t', 'nat', '-N', 'CNI-UML-TEST']);
    expect(add.out).toBe('');
    expect(add.status).toBe(0);
    const rule = ['-w', '-t', 'nat', '-A', 'CNI-UML-TEST', '-d', '10.1.0.0/16', '-j', 'MASQUERADE'];
    expect(sh(t, 'iptables-legacy', rule).status).toBe(0);
    expect(sh(t, 'iptables-legacy', ['-w', '-t', 'nat', '-S', 'CNI-UML-TEST']).out).toContain(
      '-A CNI-UML-TEST -d 10.1.0.0/16 -j MASQUERADE',
    );
  });

  it('loads traffic-control modules on demand (tbf, ingress)', () => {
    const t = makeNetNS('tc');
    nss.push(t);
    expect(sh(t, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']).status).toBe(0);
    const tbf = [
      'qdisc',
      'add',
      'dev',
      'eth0',
      'root',
      'tbf',
      'rate',
      '1mbit',
      'burst',
      '32kb',
      'latency',
      '50ms',
    ];
    expect(sh(t, 'tc', tbf).out).toBe('');
    expect(sh(t, 'tc', ['qdisc', 'add', 'dev', 'eth0', 'ingress']).out).toBe('');
    const qdiscs = sh(t, 'tc', ['qdisc', 'show', 'dev', 'eth0']).out;
    expect(qdiscs).toMatch(/qdisc tbf \S+: root/);
    expect(qdiscs).toMatch(/qdisc ingress ffff:/);
  });
});
