// win-overlay against the in-memory fake of the Windows DLL boundary: goldens C (HNS v1) and
// D (HCN v2, the repository's sample-v2.conf) from windows.md §1.6, MAC and IPv4 rules, DEL.
import { FakeWindows, type IpamDelegate } from '@cni/hns';
import { type Result, runPlugin } from '@cni/skel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePlugin } from './index.js';

const NS = '5a3b2c1d-0000-4000-8000-000000000001';
let fake: FakeWindows;
let ipamCalls: string[];
let ipamAddress: string;

const ipam: IpamDelegate = {
  add: async (t) => {
    ipamCalls.push(`ADD ${t}`);
    return { cniVersion: '1.1.0', ips: [{ address: ipamAddress }] } as Result;
  },
  del: async (t) => {
    ipamCalls.push(`DEL ${t}`);
  },
  status: async (t) => {
    ipamCalls.push(`STATUS ${t}`);
  },
};

beforeEach(() => {
  fake = new FakeWindows();
  fake.addNetwork({
    ID: 'N',
    Name: 'vxlan0',
    Type: 'Overlay',
    AddressPrefix: '10.244.1.0/24',
    GatewayAddress: '10.244.1.1',
    ManagementIP: '192.168.1.10',
  });
  fake.addNetwork({
    ID: 'N2',
    Name: 'OVNKubernetesHybridOverlayNetwork',
    Type: 'Overlay',
    AddressPrefix: '10.132.0.0/24',
    GatewayAddress: '10.132.0.1',
    ManagementIP: '10.0.133.170',
  });
  fake.addComputeSystem('abc123');
  fake.addNamespace(NS);
  ipamCalls = [];
  ipamAddress = '10.244.1.5/24';
});

afterEach(() => {
  expect(fake.openHandles.size).toBe(0);
});

function run(command: string, conf: Record<string, unknown>, env: Record<string, string> = {}) {
  return runPlugin(
    makePlugin({ api: () => fake, ipam }),
    {
      CNI_COMMAND: command,
      CNI_CONTAINERID: 'abc123',
      CNI_NETNS: 'none',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/x',
      ...env,
    },
    Buffer.from(JSON.stringify(conf)),
  );
}

const confC = (cniVersion = '0.3.1'): Record<string, unknown> => ({
  cniVersion,
  name: 'vxlan0',
  type: 'win-overlay',
  ipMasq: true,
  dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
  policies: [
    {
      name: 'EndpointPolicy',
      value: { Type: 'OutBoundNAT', ExceptionList: ['10.244.0.0/16', '10.96.0.0/12'] },
    },
    { name: 'EndpointPolicy', value: { Type: 'ROUTE', DestinationPrefix: '10.96.0.0/12', NeedEncap: true } },
  ],
  ipam: { type: 'host-local', subnet: '10.244.1.0/24' },
});

// the repository's sample-v2.conf delegate
const confD = (): Record<string, unknown> => ({
  cniVersion: '0.2.0',
  name: 'OVNKubernetesHybridOverlayNetwork',
  type: 'win-overlay',
  apiVersion: 2,
  capabilities: { portMappings: true, dns: true },
  ipam: { type: 'host-local', subnet: '10.132.0.0/24' },
  policies: [
    { name: 'EndpointPolicy', value: { Type: 'OutBoundNAT', Settings: { Exceptions: ['172.30.0.0/16'] } } },
    {
      name: 'EndpointPolicy',
      value: { Type: 'SDNRoute', Settings: { DestinationPrefix: '172.30.0.0/16', NeedEncap: true } },
    },
    {
      name: 'EndpointPolicy',
      value: { Type: 'ProviderAddress', Settings: { ProviderAddress: '10.0.133.170' } },
    },
  ],
});

describe('win-overlay HNS v1 (golden C)', () => {
  it('POSTs the exact document: PA from the management IP, ipMasq exception for the subnet, the MAC', async () => {
    const out = await run('ADD', confC());
    expect(out.exitCode, out.stdout).toBe(0);
    const posts = fake.callsOf('HNSCall').filter((c) => c.args[0] === 'POST' && c.args[1] === '/endpoints/');
    expect(posts.map((c) => c.args[2])).toEqual([
      '{"Name":"abc123_vxlan0","VirtualNetwork":"N","Policies":[{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16","10.96.0.0/12"]},{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true},{"Type":"PA","PA":"192.168.1.10"},{"Type":"OutBoundNAT","ExceptionList":["10.244.1.0/24"]}],"MacAddress":"0E-2A-0a-f4-01-05","IPAddress":"10.244.1.5","DNSSuffix":"svc.cluster.local","DNSServerList":"10.96.0.10","GatewayAddress":"10.244.1.1"}',
    ]);
    expect(JSON.parse(out.stdout)).toEqual({
      cniVersion: '0.3.1',
      interfaces: [{ name: 'abc123_vxlan0', mac: '0E-2A-0a-f4-01-05' }],
      ips: [{ version: '4', address: '10.244.1.5/24', gateway: '10.244.1.1' }],
      dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
    });
    expect(ipamCalls).toEqual(['ADD host-local']);
  });

  it('v1 order with DSR and port mappings: user, PA, NAT, DSR, port maps', async () => {
    const out = await run('ADD', {
      ...confC(),
      policies: [],
      loopbackDSR: true,
      endpointMacPrefix: 'AA-BB',
      runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'udp' }] },
    });
    expect(out.exitCode, out.stdout).toBe(0);
    const doc = JSON.parse(fake.callsOf('HNSCall').find((c) => c.args[0] === 'POST')?.args[2] as string);
    expect(doc.Policies).toEqual([
      { Type: 'PA', PA: '192.168.1.10' },
      { Type: 'OutBoundNAT', ExceptionList: ['10.244.1.0/24'] },
      { Type: 'OutBoundNAT', Destinations: ['10.244.1.5'] },
      { Type: 'NAT', InternalPort: 80, ExternalPort: 8080, Protocol: 'udp' },
    ]);
    expect(doc.MacAddress).toBe('AA-BB-0a-f4-01-05');
  });

  it('rejects a bad MAC prefix, a wrong network type, IPv6 and a missing IPAM', async () => {
    const mac = await run('ADD', { ...confC(), endpointMacPrefix: '0E2A' });
    expect(JSON.parse(mac.stdout)).toEqual({
      code: 7,
      msg: 'endpointMacPrefix [0E2A] is invalid, value must be of the format xx-xx',
    });
    fake.addNetwork({
      ID: 'B',
      Name: 'cbr0',
      Type: 'L2Bridge',
      AddressPrefix: '10.1.0.0/24',
      GatewayAddress: '10.1.0.1',
    });
    const type = await run('ADD', { ...confC(), name: 'cbr0' });
    expect(JSON.parse(type.stdout).msg).toBe('network cbr0 is of an unexpected type: L2Bridge');
    const missing = await run('ADD', { ...confC(), name: 'nope' });
    expect(JSON.parse(missing.stdout).msg).toBe('network nope not found');
    expect(ipamCalls).toEqual([]);
    ipamAddress = 'fd00::5/64';
    const v6 = await run('ADD', confC());
    expect(JSON.parse(v6.stdout).msg).toBe("win-overlay doesn't support IPv6 now");
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local']); // released once, not twice
    const { ipam: _none, ...noIpam } = confC();
    const none = await run('ADD', noIpam);
    expect(JSON.parse(none.stdout)).toEqual({
      code: 7,
      msg: 'win-overlay needs an IPAM plugin: set ipam.type (e.g. host-local)',
    });
    expect(fake.endpoints.size).toBe(0);
  });

  it('DEL releases the IP, hot-detaches and deletes the endpoint', async () => {
    expect((await run('ADD', confC())).exitCode).toBe(0);
    expect((await run('DEL', confC())).exitCode).toBe(0);
    expect(fake.endpoints.size).toBe(0);
    expect(fake.computeSystems.get('abc123')).toEqual([]);
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local']);
  });
});

describe('win-overlay HCN v2 (golden D, sample-v2.conf)', () => {
  it('creates the exact endpoint: the user ProviderAddress equals the management IP, so no PA is added', async () => {
    ipamAddress = '10.132.0.5/24';
    const out = await run('ADD', confD(), { CNI_NETNS: NS });
    expect(out.exitCode, out.stdout).toBe(0);
    expect(fake.callsOf('HcnCreateEndpoint').map((c) => c.args[2])).toEqual([
      '{"Name":"abc123_OVNKubernetesHybridOverlayNetwork","HostComputeNetwork":"N2","Policies":[{"Type":"OutBoundNAT","Settings":{"Exceptions":["172.30.0.0/16"]}},{"Type":"SDNRoute","Settings":{"DestinationPrefix":"172.30.0.0/16","NeedEncap":true}},{"Type":"ProviderAddress","Settings":{"ProviderAddress":"10.0.133.170"}}],"IpConfigurations":[{"IpAddress":"10.132.0.5"}],"Dns":{},"Routes":[{"NextHop":"10.132.0.1","DestinationPrefix":"0.0.0.0/0"}],"MacAddress":"0E-2A-0a-84-00-05","Health":{"Extra":{}},"SchemaVersion":{"Major":2,"Minor":0}}',
    ]);
    expect(JSON.parse(out.stdout)).toEqual({
      cniVersion: '0.2.0',
      ip4: { ip: '10.132.0.5/24', gateway: '10.132.0.1' },
      dns: {}, // a 0.2.0 result always has dns (Go's struct omitempty)
    });
    const id = [...fake.endpoints.keys()][0];
    expect(fake.namespaces.get(NS)).toEqual([id]);
  });

  it('v2 order with DSR and ipMasq: user, DSR, ProviderAddress, NAT', async () => {
    const out = await run(
      'ADD',
      { ...confC('1.0.0'), apiVersion: 2, policies: [], loopbackDSR: true },
      { CNI_NETNS: NS },
    );
    expect(out.exitCode, out.stdout).toBe(0);
    expect(JSON.parse(fake.callsOf('HcnCreateEndpoint')[0]?.args[2] as string).Policies).toEqual([
      { Type: 'OutBoundNAT', Settings: { Destinations: ['10.244.1.5'] } },
      { Type: 'ProviderAddress', Settings: { ProviderAddress: '192.168.1.10' } },
      { Type: 'OutBoundNAT', Settings: { Exceptions: ['10.244.1.0/24'] } },
    ]);
  });

  it('DEL removes it from the namespace and deletes it; STATUS asks IPAM', async () => {
    expect((await run('ADD', confD(), { CNI_NETNS: NS })).exitCode).toBe(0);
    expect((await run('DEL', confD(), { CNI_NETNS: NS })).exitCode).toBe(0);
    expect(fake.endpoints.size).toBe(0);
    expect(fake.namespaces.get(NS)).toEqual([]);
    expect((await run('STATUS', { ...confD(), cniVersion: '1.1.0' })).exitCode).toBe(0);
    const { ipam: _none, ...noIpam } = confD();
    expect((await run('STATUS', { ...noIpam, cniVersion: '1.1.0' })).exitCode).toBe(0);
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local', 'STATUS host-local']);
  });

  it('CHECK passes for the attached endpoint and fails once it is gone', async () => {
    const add = await run('ADD', { ...confD(), cniVersion: '1.0.0' }, { CNI_NETNS: NS });
    const conf = { ...confD(), cniVersion: '1.0.0', prevResult: JSON.parse(add.stdout) };
    expect((await run('CHECK', conf, { CNI_NETNS: NS })).exitCode).toBe(0);
    await run('DEL', conf, { CNI_NETNS: NS });
    const out = await run('CHECK', conf, { CNI_NETNS: NS });
    expect(JSON.parse(out.stdout).msg).toBe(
      'endpoint abc123_OVNKubernetesHybridOverlayNetwork not found on network OVNKubernetesHybridOverlayNetwork',
    );
  });
});
