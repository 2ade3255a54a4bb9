import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, DEFAULT_SUBNET_FILE, loadFlannelConf } from './config.js';
import { buildLinuxDelegate, buildWindowsDelegate, goMarshal, reencodeRoute } from './delegate.js';
import { parseSubnetEnv, type SubnetEnv } from './subnet-env.js';

const V4 = parseSubnetEnv(
  'FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
  'env',
);
const V6 = parseSubnetEnv(
  'FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
  'env',
);
const DUAL = parseSubnetEnv(
  'FLANNEL_NETWORK=10.1.0.0/16,10.2.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_IPV6_NETWORK=fc00::/48\n' +
    'FLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n',
  'env',
);

const conf = (o: Record<string, unknown>) => loadFlannelConf(JSON.stringify({ name: 'cni-flannel', ...o }));
const linux = (o: Record<string, unknown>, env: SubnetEnv = V4) =>
  JSON.parse(goMarshal(buildLinuxDelegate(conf(o), env)));
const linuxText = (o: Record<string, unknown>, env: SubnetEnv = V4) =>
  goMarshal(buildLinuxDelegate(conf(o), env));

describe('loadFlannelConf', () => {
  it('defaults subnetFile and dataDir; null keeps the default, "" does not', () => {
    const d = conf({});
    expect(d.subnetFile).toBe(DEFAULT_SUBNET_FILE);
    expect(d.dataDir).toBe(DEFAULT_DATA_DIR);
    expect(conf({ subnetFile: null, dataDir: null })).toMatchObject({
      subnetFile: DEFAULT_SUBNET_FILE,
      dataDir: DEFAULT_DATA_DIR,
    });
    expect(conf({ subnetFile: '', dataDir: '' })).toMatchObject({ subnetFile: '', dataDir: '' });
    expect(conf({ SubnetFile: '/x', DATADIR: '/y' })).toMatchObject({ subnetFile: '/x', dataDir: '/y' });
  });

  it('names the key and the value of a wrong JSON type', () => {
    expect(() => conf({ subnetFile: 5 })).toThrow(
      'failed to load netconf: key "subnetFile" must be a string, got number 5',
    );
    expect(() => conf({ delegate: 'bridge' })).toThrow(
      'failed to load netconf: key "delegate" must be an object, got string "bridge"',
    );
    expect(() => conf({ ipam: [] })).toThrow('key "ipam" must be an object, got array []');
    expect(() => conf({ runtimeConfig: true })).toThrow(
      'key "runtimeConfig" must be an object, got bool true',
    );
    expect(() => conf({ capabilities: { portMappings: 'yes' } })).toThrow(
      'key "capabilities.portMappings" must be a boolean, got string "yes"',
    );
    expect(() => conf({ dns: { nameservers: [1] } })).toThrow(
      'key "dns.nameservers" must be an array of strings',
    );
    expect(() => conf({ 'cni.dev/valid-attachments': [{ containerID: 1 }] })).toThrow(
      'key "cni.dev/valid-attachments[0].containerID" must be a string, got number 1',
    );
    expect(() => loadFlannelConf('{')).toThrow(/^failed to load netconf: /);
    expect(() => loadFlannelConf('[]')).toThrow(
      'failed to load netconf: the configuration must be a JSON object',
    );
  });
});

describe('the Linux delegate config', () => {
  it('renders the reference defaults as compact, key-sorted JSON', () => {
    expect(linuxText({ cniVersion: '0.3.1' })).toBe(
      '{"cniVersion":"0.3.1","ipMasq":false,"ipam":{"ranges":[[{"subnet":"10.1.17.0/24"}]],' +
        '"routes":[{"dst":"10.1.0.0/16"}],"type":"host-local"},"isGateway":true,"mtu":1472,' +
        '"name":"cni-flannel","type":"bridge"}',
    );
  });

  it('builds ranges v4 first and a route per network of each family, v4 then v6', () => {
    const d = linux({}, DUAL);
    expect(d.ipam.ranges).toEqual([[{ subnet: '10.1.17.0/24' }], [{ subnet: 'fc00::/64' }]]);
    expect(d.ipam.routes).toEqual([{ dst: '10.1.0.0/16' }, { dst: '10.2.0.0/16' }, { dst: 'fc00::/48' }]);
    expect(d.ipMasq).toBe(true); // FLANNEL_IPMASQ=false: the bridge masquerades
    const v6 = linux({}, V6);
    expect(v6.ipam.ranges).toEqual([[{ subnet: 'fc00::/64' }]]);
    expect(v6.ipam.routes).toEqual([{ dst: 'fc00::/48' }]);
  });

  it('inverts FLANNEL_IPMASQ unless ipMasq is given; keeps an explicit mtu, even null', () => {
    for (const [text, want] of [
      ['true', false],
      ['false', true],
      ['TRUE', true],
      ['', true],
    ] as const) {
      const env = { ...V4, ipMasq: text === 'true' };
      expect(linux({}, env).ipMasq, text).toBe(want);
    }
    expect(linux({ delegate: { ipMasq: true } }).ipMasq).toBe(true);
    expect(linux({ delegate: { ipMasq: null } }).ipMasq).toBeNull();
    expect(linux({ delegate: { mtu: 9000 } }).mtu).toBe(9000);
    expect(linux({ delegate: { mtu: null } }).mtu).toBeNull();
    expect(linux({}, { ...V4, mtu: 0 }).mtu).toBe(0);
  });

  it('sets isGateway only for bridge and only when absent', () => {
    expect(linux({}).isGateway).toBe(true);
    expect(linux({ delegate: { isGateway: false } }).isGateway).toBe(false);
    expect(linux({ delegate: { type: 'ptp' } })).not.toHaveProperty('isGateway');
    expect(linux({ delegate: { type: 'ptp' } }).type).toBe('ptp');
  });

  it('passes user delegate keys (hairpinMode, isDefaultGateway, bridge) through', () => {
    const d = linux({ delegate: { hairpinMode: true, isDefaultGateway: true, bridge: 'cni0' } });
    expect(d).toMatchObject({ hairpinMode: true, isDefaultGateway: true, bridge: 'cni0', type: 'bridge' });
  });

  it('rejects a non-string type and any name or ipam key, even null', () => {
    const typeErr = "'delegate' dictionary, if present, must have (string) 'type' field";
    expect(() => linux({ delegate: { type: 5 } })).toThrow(typeErr);
    expect(() => linux({ delegate: { type: null } })).toThrow(typeErr);
    expect(() => linux({ delegate: { name: 'x' } })).toThrow(
      "'delegate' dictionary must not have 'name' field, it'll be set by flannel",
    );
    expect(() => linux({ delegate: { name: null } })).toThrow("must not have 'name' field");
    expect(() => linux({ delegate: { ipam: null } })).toThrow(
      "'delegate' dictionary must not have 'ipam' field, it'll be set by flannel",
    );
    expect(linux({ delegate: null }).type).toBe('bridge');
  });

  it('overrides delegate.cniVersion with a non-empty top-level one, else keeps it', () => {
    expect(linux({ cniVersion: '1.0.0', delegate: { cniVersion: '0.3.1' } }).cniVersion).toBe('1.0.0');
    expect(linux({ delegate: { cniVersion: '0.3.1' } }).cniVersion).toBe('0.3.1');
    expect(linux({ cniVersion: '', delegate: { cniVersion: '0.3.1' } }).cniVersion).toBe('0.3.1');
    expect(linux({})).not.toHaveProperty('cniVersion');
  });

  it('copies runtimeConfig over the delegate value; capabilities, dns, prevResult and args are not forwarded', () => {
    const d = linux({
      runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }] },
      delegate: { runtimeConfig: { old: true } },
      capabilities: { portMappings: true },
      dns: { nameservers: ['1.1.1.1'] },
      prevResult: { cniVersion: '1.0.0' },
      args: { cni: {} },
      dataDir: '/tmp/x',
      subnetFile: '/tmp/y',
    });
    expect(d.runtimeConfig).toEqual({
      portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }],
    });
    for (const k of ['capabilities', 'dns', 'prevResult', 'args', 'dataDir', 'subnetFile'])
      expect(d).not.toHaveProperty(k);
    expect(linux({ runtimeConfig: {} }).runtimeConfig).toEqual({});
    expect(linux({ delegate: { runtimeConfig: { keep: 1 } } }).runtimeConfig).toEqual({ keep: 1 });
  });

  it('builds ipam on the input: extra keys kept, ranges replaced, user routes first', () => {
    const d = linux({
      ipam: {
        type: 'my-ipam',
        dataDir: '/var/lib/other',
        subnet: '10.99.0.0/24',
        ranges: [[{ subnet: '192.168.0.0/24' }]],
        routes: [{ dst: '192.168.1.0/24', gw: '10.1.17.1', extra: 'dropped' }, { dst: '10.9.0.5/16' }],
      },
    });
    expect(d.ipam).toEqual({
      type: 'my-ipam',
      dataDir: '/var/lib/other',
      subnet: '10.99.0.0/24',
      ranges: [[{ subnet: '10.1.17.0/24' }]],
      routes: [{ dst: '192.168.1.0/24', gw: '10.1.17.1' }, { dst: '10.9.0.5/16' }, { dst: '10.1.0.0/16' }],
    });
    expect(linux({ ipam: null }).ipam.type).toBe('host-local');
    expect(linux({ ipam: { routes: null } }).ipam.routes).toEqual([{ dst: '10.1.0.0/16' }]);
  });

  it('re-encodes routes through the CNI route type (field order, <nil> dst, ints)', () => {
    expect(
      goMarshal(
        reencodeRoute({
          scope: 0,
          table: 100,
          priority: 5,
          advmss: 1400,
          mtu: 1300,
          gw: 'FC00::0001',
          dst: 'FC00::1/64',
        }),
      ),
    ).toBe('{"dst":"fc00::1/64","gw":"fc00::1","mtu":1300,"advmss":1400,"priority":5,"table":100,"scope":0}');
    expect(goMarshal(reencodeRoute({ gw: '10.0.0.1' }))).toBe('{"dst":"\\u003cnil\\u003e","gw":"10.0.0.1"}');
    expect(goMarshal(reencodeRoute(null))).toBe('{"dst":"\\u003cnil\\u003e"}');
    expect(goMarshal(reencodeRoute({ dst: '10.0.0.0/8', mtu: 0, gw: '', table: null }))).toBe(
      '{"dst":"10.0.0.0/8"}',
    );
    expect(goMarshal(reencodeRoute({ DST: '10.0.0.0/8' }))).toBe('{"dst":"10.0.0.0/8"}');
  });

  it('fails on a bad route with the wrapped reference message', () => {
    const pre = 'failed to assemble Delegate IPAM: failed to read IPAM routes: failed to parse ipam.routes: ';
    expect(() => linux({ ipam: { routes: [{ dst: '10.0.0/8' }] } })).toThrow(
      new Error(`${pre}invalid CIDR address: 10.0.0/8`),
    );
    expect(() => linux({ ipam: { routes: [{ dst: '' }] } })).toThrow(
      new Error(`${pre}invalid CIDR address: `),
    );
    expect(() => linux({ ipam: { routes: [{ dst: 5 }] } })).toThrow(
      new Error(`${pre}json: cannot unmarshal number into Go value of type string`),
    );
    expect(() => linux({ ipam: { routes: [{ dst: '10.0.0.0/8', gw: 'x' }] } })).toThrow(
      new Error(`${pre}invalid IP address: x`),
    );
    expect(() => linux({ ipam: { routes: [{ dst: '10.0.0.0/8', mtu: 1.5 }] } })).toThrow(
      new Error(`${pre}json: cannot unmarshal number 1.5 into Go struct field route.mtu of type int`),
    );
    expect(() => linux({ ipam: { routes: { dst: '10.0.0.0/8' } } })).toThrow(
      new Error(`${pre}json: cannot unmarshal object into Go value of type []types.Route`),
    );
    expect(() => linux({ ipam: { routes: ['10.0.0.0/8'] } })).toThrow(
      new Error(`${pre}json: cannot unmarshal string into Go value of type types.route`),
    );
  });

  it('sorts map keys by bytes at every level and escapes like Go', () => {
    expect(goMarshal({ b: 1, a: { '10': 1, '9': 2, Z: 3 }, c: '<&>' })).toBe(
      '{"a":{"10":1,"9":2,"Z":3},"b":1,"c":"\\u003c\\u0026\\u003e"}',
    );
  });
});

describe('the Windows delegate config', () => {
  const win = (o: Record<string, unknown>, env: SubnetEnv = V4) =>
    JSON.parse(goMarshal(buildWindowsDelegate(conf(o), env)));

  it('defaults to win-bridge, passes FLANNEL_IPMASQ on uninverted, names the first network', () => {
    expect(win({}, DUAL)).toEqual({
      name: 'cni-flannel',
      type: 'win-bridge',
      ipMasq: false,
      ipMasqNetwork: '10.1.0.0/16',
      cniVersion: '0.2.0',
      ipam: { type: 'host-local', subnet: '10.1.17.0/24' },
    });
    expect(win({}).ipMasq).toBe(true);
  });

  it('always overwrites ipMasq and cniVersion, ignores the input ipam, keeps the user keys', () => {
    const d = win({
      cniVersion: '0.3.1',
      ipam: { type: 'other', routes: [{ dst: '1.2.3.0/24' }] },
      runtimeConfig: { dns: {} },
      delegate: {
        type: 'win-overlay',
        ipMasq: false,
        cniVersion: '1.0.0',
        policies: [{ name: 'EndpointPolicy' }],
      },
    });
    expect(d).toEqual({
      name: 'cni-flannel',
      type: 'win-overlay',
      ipMasq: true,
      ipMasqNetwork: '10.1.0.0/16',
      cniVersion: '0.3.1',
      runtimeConfig: { dns: {} },
      policies: [{ name: 'EndpointPolicy' }],
      ipam: { type: 'host-local', subnet: '10.1.17.0/24' },
    });
  });

  it('does not crash on an IPv6-only lease: a clear error instead', () => {
    expect(() => win({ subnetFile: '/run/flannel/subnet.env' }, V6)).toThrow(
      '/run/flannel/subnet.env has no IPv4 FLANNEL_NETWORK: flannel on Windows needs an IPv4 network and subnet',
    );
    expect(() => win({}, { ...V4, subnet: undefined } as unknown as SubnetEnv)).toThrow(
      'has no IPv4 FLANNEL_SUBNET',
    );
  });

  it('applies the shared delegate checks', () => {
    expect(() => win({ delegate: { ipam: {} } })).toThrow("must not have 'ipam' field");
  });
});
