import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { cmdDel, oldSnatChainName } from '../src/index.js';
import { sh } from './env.js';

let host: TestNetNS | undefined;
afterEach(() => {
  destroyNetNS(host);
  host = undefined;
});

describe('portmap DEL and legacy chains', () => {
  it('removes the legacy CNI-SN- chain and its jump, in both families', () => {
    host = makeNetNS('pmleg');
    const sn = oldSnatChainName('legnet', 'old-ctr');
    for (const restore of ['iptables-restore', 'ip6tables-restore']) {
      sh(
        host,
        'sh',
        '-c',
        `printf '*nat\\n:CNI-HOSTPORT-SNAT - [0:0]\\n:${sn} - [0:0]\\n-A CNI-HOSTPORT-SNAT -j ${sn}\\n-A ${sn} -j RETURN\\nCOMMIT\\n' | ${restore} --noflush`,
      );
    }
    cmdDel(
      {
        containerID: 'old-ctr',
        netns: '/run/netns/x',
        ifName: 'eth0',
        stdinData: JSON.stringify({
          cniVersion: '0.3.1',
          name: 'legnet',
          type: 'portmap',
          backend: 'iptables',
          runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80, protocol: 'tcp' }] },
        }),
      },
      { hostNS: host.ns },
    );
    for (const save of ['iptables-save', 'ip6tables-save']) {
      const out = sh(host, save, '-t', 'nat');
      expect(out).not.toContain(sn);
      expect(out).toContain(':CNI-HOSTPORT-SNAT');
    }
  });
});
