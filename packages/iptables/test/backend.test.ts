import { execFileSync, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import {
  IPTables,
  Nft,
  canonicalRule,
  detectBackend,
  setBinaryDirs,
  splitWords,
  supportsIPTables,
  supportsNFTables,
  withBackend,
} from '../src/index.js';
import { bundle } from './bundle.js';

let nss: TestNetNS[] = [];
afterEach(() => {
  for (const n of nss) destroyNetNS(n);
  nss = [];
});
function ns(): TestNetNS {
  const n = makeNetNS('ipt');
  nss.push(n);
  return n;
}
function save(n: TestNetNS, cmd = 'iptables-save'): string {
  return execFileSync('ip', ['netns', 'exec', n.name, cmd, '-t', 'nat'], { encoding: 'utf8' });
}

describe('iptables backend', () => {
  it('batches idempotent changes and writes rules in iptables-save form', () => {
    const n = ns();
    const rules: string[][] = [
      [
        '-m',
        'comment',
        '--comment',
        'dnat name: "n" id: "c"',
        '-m',
        'multiport',
        '-p',
        'tcp',
        '--destination-ports',
        '80,81',
        '-j',
        'CNI-T',
      ],
      ['-p', 'udp', '--dport', '53', '-d', '10.1.1.1', '-s', '10.0.0.0/24', '-j', 'CNI-T'],
      ['-d', '10.0.0.2/24', '-j', 'ACCEPT', '-m', 'comment', '--comment', 'x y'],
      ['!', '-d', '224.0.0.0/4', '-j', 'MASQUERADE', '-m', 'comment', '--comment', 'x y'],
      ['-m', 'mark', '--mark', '0x2000/0x2000', '-j', 'MASQUERADE'],
      ['-p', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', '10.0.0.2:8080'],
      ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-T'],
    ];
    const ipt = new IPTables(4, { ns: n.ns });
    for (let i = 0; i < 2; i++) {
      ipt.update('nat', (t) => {
        t.ensureChain('CNI-T');
        for (const r of rules) t.appendUnique('CNI-ALL', r);
      });
    }
    const listed = save(n)
      .split('\n')
      .filter((l) => l.startsWith('-A CNI-ALL '))
      .map((l) => splitWords(l).slice(2));
    // No duplicates on the second run, and our canonical form is exactly the kernel's.
    expect(listed).toEqual(rules.map(canonicalRule));
    // Deleting twice, and deleting a missing chain, succeed.
    for (let i = 0; i < 2; i++) {
      ipt.update('nat', (t) => {
        t.deleteChain('CNI-T');
        t.deleteChain('CNI-NOPE');
        t.deleteRule('CNI-ALL', rules[2] as string[]);
      });
    }
    const after = save(n);
    expect(after).not.toContain('CNI-T');
    expect(after).toContain('MASQUERADE');
    expect(after).not.toContain('"x y" -j ACCEPT');
  });

  it('ip6tables works the same', () => {
    const n = ns();
    const ipt = new IPTables(6, { ns: n.ns });
    ipt.update('nat', (t) => t.appendUnique('POSTROUTING', ['-s', 'fd00::2', '-j', 'MASQUERADE']));
    ipt.update('nat', (t) => t.appendUnique('POSTROUTING', ['-s', 'fd00::2/128', '-j', 'MASQUERADE']));
    expect(save(n, 'ip6tables-save').match(/-A POSTROUTING -s fd00::2\/128 -j MASQUERADE/g)).toHaveLength(1);
  });

  it('concurrent processes converge without duplicates', async () => {
    const n = ns();
    const entry = bundle(new URL('./fixtures/concurrent.ts', import.meta.url).pathname);
    const runs = Array.from(
      { length: 12 },
      (_, i) =>
        new Promise<number>((resolve) => {
          const p = spawn(process.execPath, [entry, n.path, String(i + 1)], {
            stdio: ['ignore', 'ignore', 'inherit'],
          });
          p.on('exit', (c) => resolve(c ?? 1));
        }),
    );
    expect(await Promise.all(runs)).toEqual(Array(12).fill(0));
    const out = save(n);
    expect(out.match(/-A PREROUTING -j CNI-SHARED/g)).toHaveLength(1);
    expect(out.match(/-A CNI-SHARED /g)).toHaveLength(12);
  });
});

describe('nftables backend', () => {
  it('runs in the namespace it was made for, in process', () => {
    const a = ns();
    const b = ns();
    const nft = new Nft({ ns: a.ns });
    expect(nft.engine()).toBe('library');
    nft.run(
      'add table ip t1\nadd chain ip t1 c1\nadd rule ip t1 c1 ip saddr 10.0.0.1 accept comment "hello"\n',
    );
    const rules = nft.rules('ip', 't1', 'c1');
    expect(rules).toHaveLength(1);
    expect(rules[0]?.comment).toBe('hello');
    expect(new Nft({ ns: b.ns }).rules('ip', 't1', 'c1')).toEqual([]);
    expect(
      execFileSync('ip', ['netns', 'exec', a.name, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }),
    ).toContain('hello');
  });

  it('detects usable backends inside a namespace', () => {
    const a = ns();
    expect(supportsIPTables(a.ns)).toBe(true);
    expect(supportsNFTables(a.ns)).toBe(true);
    expect(detectBackend('nftables', a.ns)).toBe('nftables');
    expect(detectBackend(null, a.ns)).toBe('iptables');
  });

  it('without the iptables binary, nftables is detected (reference #1280)', () => {
    const a = ns();
    setBinaryDirs(['/nonexistent']);
    try {
      expect(supportsIPTables(a.ns)).toBe(false);
      expect(detectBackend(null, a.ns)).toBe('nftables');
      expect(detectBackend('iptables', a.ns)).toBe('iptables');
    } finally {
      setBinaryDirs(null);
    }
  });

  it('withBackend: iptables at once (no probe); nftables only when iptables fails and nftables is picked', () => {
    const a = ns();
    const tried: string[] = [];
    const record = (b: string) => {
      tried.push(b);
      return b;
    };
    expect(withBackend(null, a.ns, record)).toBe('iptables');
    expect(tried).toEqual(['iptables']);
    expect(withBackend('nftables', a.ns, (b) => b)).toBe('nftables');
    // iptables usable here: its error stands, nftables is not tried
    tried.length = 0;
    expect(() =>
      withBackend(null, a.ns, (b) => {
        tried.push(b);
        throw new Error(`${b} failed`);
      }),
    ).toThrow('iptables failed');
    expect(tried).toEqual(['iptables']);
    // no iptables binary: the iptables attempt fails, detection picks nftables, which runs
    setBinaryDirs(['/nonexistent']);
    try {
      tried.length = 0;
      const r = withBackend(null, a.ns, (b) => {
        tried.push(b);
        if (b === 'iptables') return new IPTables(4, { ns: a.ns }).read('nat');
        return 'nft';
      });
      expect(r).toBe('nft');
      expect(tried).toEqual(['iptables', 'nftables']);
    } finally {
      setBinaryDirs(null);
    }
  });
});
