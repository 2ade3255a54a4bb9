// win-bridge against the in-memory fake of the Windows DLL boundary: the exact endpoint and
// namespace documents handed to HNS/HCN (windows.md §1.6 goldens A and B and more), the results
// for every spec version, and the call sequences of ADD/DEL/CHECK/STATUS.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeWindows, type IpamDelegate } from '@cni/hns';
import { type Result, runPlugin } from '@cni/skel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePlugin } from './index.js';

const NS = '5a3b2c1d-0000-4000-8000-000000000001';

let fake: FakeWindows;
let ipamCalls: string[];
let ipamAddress: string;

const ipam: IpamDelegate = {
  add: async (type) => {
    ipamCalls.push(`ADD ${type}`);
    return { cniVersion: '1.1.0', ips: [{ address: ipamAddress, gateway: '10.244.1.1' }] } as Result;
  },
  del: async (type) => {
    ipamCalls.push(`DEL ${type}`);
  },
  status: async (type) => {
    ipamCalls.push(`STATUS ${type}`);
  },
};

beforeEach(() => {
  fake = new FakeWindows();
  fake.addNetwork({
    ID: 'N',
    Name: 'cbr0',
    Type: 'L2Bridge',
    AddressPrefix: '10.244.1.0/24',
    GatewayAddress: '10.244.1.1',
  });
  fake.addComputeSystem('abc123');
  fake.addNamespace(NS);
  ipamCalls = [];
  ipamAddress = '10.244.1.5/24';
});

afterEach(() => {
  expect(fake.openHandles.size).toBe(0); // every HCN/HCS handle closed
});

const plugin = () => makePlugin({ api: () => fake, ipam });

function run(command: string, conf: Record<string, unknown>, env: Record<string, string> = {}) {
  return runPlugin(
    plugin(),
    {
      CNI_COMMAND: command,
      CNI_CONTAINERID: 'abc123',
      CNI_NETNS: 'none',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/opt/cni/bin',
      ...env,
    },
    Buffer.from(JSON.stringify(conf)),
  );
}

const userV1 = [
  {
    name: 'EndpointPolicy',
    value: { Type: 'OutBoundNAT', ExceptionList: ['10.244.0.0/16', '10.96.0.0/12'] },
  },
  { name: 'EndpointPolicy', value: { Type: 'ROUTE', DestinationPrefix: '10.96.0.0/12', NeedEncap: true } },
];
const userV2 = [
  {
    name: 'EndpointPolicy',
    value: { Type: 'OutBoundNAT', Settings: { Exceptions: ['10.244.0.0/16', '10.96.0.0/12'] } },
  },
  {
    name: 'EndpointPolicy',
    value: { Type: 'SDNRoute', Settings: { DestinationPrefix: '10.96.0.0/12', NeedEncap: true } },
  },
];

const confA = (cniVersion = '0.3.1') => ({
  cniVersion,
  name: 'cbr0',
  type: 'win-bridge',
  ipMasqNetwork: '10.244.0.0/16',
  loopbackDSR: true,
  dns: { nameservers: ['10.96.0.10'] },
  capabilities: { dns: true, portMappings: true },
  runtimeConfig: {
    dns: { searches: ['default.svc.cluster.local', 'svc.cluster.local'] },
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
  },
  policies: userV1,
  ipam: { type: 'host-local', subnet: '10.244.1.0/24' },
});

const confB = (cniVersion = '1.0.0') => ({ ...confA(cniVersion), apiVersion: 2, policies: userV2 });

const posted = () =>
  fake.callsOf('HNSCall').filter((c) => c.args[0] === 'POST' && c.args[1] === '/endpoints/');

describe('win-bridge HNS v1 (golden A)', () => {
  it('POSTs the exact endpoint document and prints the 0.3.1 result', async () => {
    const out = await run('ADD', confA());
    expect(out.exitCode).toBe(0);
    expect(posted().map((c) => c.args[2])).toEqual([
      '{"Name":"abc123_cbr0","VirtualNetwork":"N","Policies":[{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16","10.96.0.0/12"]},{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true},{"Type":"NAT","InternalPort":80,"ExternalPort":8080,"Protocol":"tcp"},{"Type":"OutBoundNAT","Destinations":["10.244.1.5"]}],"IPAddress":"10.244.1.5","DNSSuffix":"default.svc.cluster.local,svc.cluster.local","DNSServerList":"10.96.0.10","GatewayAddress":"10.244.1.2"}',
    ]);
    const mac = [...fake.endpoints.values()][0]?.MacAddress;
    expect(JSON.parse(out.stdout)).toEqual({
      cniVersion: '0.3.1',
      interfaces: [{ name: 'abc123_cbr0', mac }],
      ips: [{ version: '4', address: '10.244.1.5/24', gateway: '10.244.1.2' }],
      dns: { nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local', 'svc.cluster.local'] },
    });
    // hot attach to the pause container through vmcompute
    expect(fake.callsOf('HcsModifyComputeSystem').map((c) => c.args[1])).toEqual([
      `{"ResourceType":"Network","Settings":"${[...fake.endpoints.keys()][0]}","RequestType":"Add"}`,
    ]);
    expect(ipamCalls).toEqual(['ADD host-local']);
  });

  it('prints the result in every spec version', async () => {
    const shapes: Record<string, unknown> = {};
    for (const v of ['0.1.0', '0.2.0', '0.3.0', '0.4.0', '1.0.0', '1.1.0']) {
      fake.endpoints.clear();
      const out = await run('ADD', confA(v));
      expect(out.exitCode, out.stdout).toBe(0);
      shapes[v] = JSON.parse(out.stdout);
    }
    expect(shapes['0.2.0']).toMatchObject({
      cniVersion: '0.2.0',
      ip4: { ip: '10.244.1.5/24', gateway: '10.244.1.2' },
      dns: { nameservers: ['10.96.0.10'] },
    });
    expect(shapes['0.4.0']).toMatchObject({ ips: [{ version: '4', address: '10.244.1.5/24' }] });
    expect(shapes['1.1.0']).toMatchObject({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'abc123_cbr0' }],
      ips: [{ address: '10.244.1.5/24', gateway: '10.244.1.2' }],
    });
  });

  it('adds the ipMasqNetwork exception when the user policies lack it, and no DSR before HNS 9.3', async () => {
    fake.hnsVersion = { Major: 9, Minor: 2 };
    const out = await run('ADD', {
      ...confA(),
      policies: [],
      runtimeConfig: {},
      ipMasqNetwork: '10.244.0.0/16',
    });
    expect(out.exitCode).toBe(0);
    expect(posted()[0]?.args[2]).toBe(
      '{"Name":"abc123_cbr0","VirtualNetwork":"N","Policies":[{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16"]}],"IPAddress":"10.244.1.5","DNSServerList":"10.96.0.10","GatewayAddress":"10.244.1.2"}',
    );
  });

  it('workload containers share the sandbox endpoint (container:<id>) without a second IPAM', async () => {
    expect((await run('ADD', confA())).exitCode).toBe(0);
    fake.addComputeSystem('work1');
    const out = await run('ADD', confA(), { CNI_CONTAINERID: 'work1', CNI_NETNS: 'container:abc123' });
    expect(out.exitCode).toBe(0);
    expect(JSON.parse(out.stdout).interfaces[0].name).toBe('abc123_cbr0');
    expect(fake.endpoints.size).toBe(1);
    expect(fake.computeSystems.get('work1')).toEqual([...fake.endpoints.keys()]);
    expect(ipamCalls).toEqual(['ADD host-local']);
    // DEL of the workload only detaches
    const del = await run('DEL', confA(), { CNI_CONTAINERID: 'work1', CNI_NETNS: 'container:abc123' });
    expect(del.exitCode).toBe(0);
    expect(fake.endpoints.size).toBe(1);
    expect(fake.computeSystems.get('work1')).toEqual([]);
    // DEL of the sandbox releases the IP, detaches and deletes
    expect((await run('DEL', confA())).exitCode).toBe(0);
    expect(fake.endpoints.size).toBe(0);
    expect(fake.computeSystems.get('abc123')).toEqual([]);
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local', 'DEL host-local']);
  });

  it('a workload container without the sandbox endpoint fails, and IPAM is not touched', async () => {
    const out = await run('ADD', confA(), { CNI_CONTAINERID: 'work1', CNI_NETNS: 'container:abc123' });
    expect(out.exitCode).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual({
      code: 999,
      msg: 'failed to find HNSEndpoint abc123_cbr0: Endpoint abc123_cbr0 not found',
    });
    expect(ipamCalls).toEqual([]);
  });

  it('replaces an endpoint of that name left on another network', async () => {
    fake.addNetwork({
      ID: 'OTHER',
      Name: 'old',
      Type: 'L2Bridge',
      AddressPrefix: '10.9.0.0/24',
      GatewayAddress: '10.9.0.1',
    });
    fake.endpoints.set('stale', { ID: 'stale', Name: 'abc123_cbr0', VirtualNetwork: 'OTHER' });
    expect((await run('ADD', confA())).exitCode).toBe(0);
    expect(fake.endpoints.has('stale')).toBe(false);
    expect([...fake.endpoints.values()].map((e) => e.VirtualNetwork)).toEqual(['N']);
    expect(
      fake.callsOf('HNSCall').some((c) => c.args[0] === 'DELETE' && c.args[1] === '/endpoints/stale'),
    ).toBe(true);
  });

  it('removes a new endpoint and releases its IP when the hot attach fails', async () => {
    const out = await run('ADD', confA(), { CNI_CONTAINERID: 'nosuchsystem' });
    expect(out.exitCode).toBe(1);
    expect(JSON.parse(out.stdout).msg).toMatch(
      /^HcsOpenComputeSystem nosuchsystem failed with HRESULT 0xc037010e HCS_E_SYSTEM_NOT_FOUND/,
    );
    expect(fake.endpoints.size).toBe(0);
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local']);
  });

  it('re-ADD re-attaches the existing endpoint; a gone container counts as attached', async () => {
    expect((await run('ADD', confA())).exitCode).toBe(0);
    fake.computeSystems.delete('abc123');
    const again = await run('ADD', confA());
    expect(again.exitCode).toBe(0);
    expect(fake.endpoints.size).toBe(1);
    expect(ipamCalls).toEqual(['ADD host-local']);
  });

  it('errors: missing network, wrong network type; IPAM never ran so it is not released', async () => {
    const missing = await run('ADD', { ...confA(), name: 'nope' });
    expect(JSON.parse(missing.stdout)).toEqual({
      code: 999,
      msg: 'error while getting network nope: Network nope not found',
    });
    fake.addNetwork({
      ID: 'T',
      Name: 'nat',
      Type: 'NAT',
      AddressPrefix: '172.16.0.0/16',
      GatewayAddress: '172.16.0.1',
    });
    const wrong = await run('ADD', { ...confA(), name: 'nat' });
    expect(JSON.parse(wrong.stdout)).toEqual({ code: 999, msg: 'network nat is of an unexpected type: NAT' });
    expect(ipamCalls).toEqual([]);
  });

  it('an sctp port mapping is an error (not silently dropped) and the allocated IP is released', async () => {
    const conf = confA();
    conf.runtimeConfig.portMappings = [{ hostPort: 9, containerPort: 9, protocol: 'sctp' }];
    const out = await run('ADD', conf);
    expect(out.exitCode).toBe(1);
    expect(JSON.parse(out.stdout).msg).toContain('invalid runtimeConfig.portMappings[0].protocol "sctp"');
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local']);
    expect(fake.endpoints.size).toBe(0);
  });

  it('without IPAM: no IP, gateway or DSR in the document; HNS assigns the address', async () => {
    const { ipam: _none, ...conf } = confA();
    const out = await run('ADD', { ...conf, runtimeConfig: {}, policies: [] });
    expect(out.exitCode, out.stdout).toBe(0);
    expect(posted()[0]?.args[2]).toBe(
      '{"Name":"abc123_cbr0","VirtualNetwork":"N","Policies":[{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16"]}],"DNSServerList":"10.96.0.10"}',
    );
    expect(JSON.parse(out.stdout).ips[0].address).toMatch(/^10\.244\.1\.\d+\/24$/);
    expect(ipamCalls).toEqual([]);
  });

  it('DEL with an empty netns only releases the IP; IPAM DEL failure keeps the endpoint', async () => {
    expect((await run('ADD', confA())).exitCode).toBe(0);
    expect((await run('DEL', confA(), { CNI_NETNS: '' })).exitCode).toBe(0);
    expect(fake.endpoints.size).toBe(1);
    const failing = makePlugin({
      api: () => fake,
      ipam: { ...ipam, del: async () => Promise.reject(new Error('store locked')) },
    });
    const out = await runPlugin(
      failing,
      {
        CNI_COMMAND: 'DEL',
        CNI_CONTAINERID: 'abc123',
        CNI_NETNS: 'none',
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/x',
      },
      Buffer.from(JSON.stringify(confA())),
    );
    expect(JSON.parse(out.stdout)).toEqual({ code: 999, msg: 'store locked' });
    expect(fake.endpoints.size).toBe(1);
  });
});

describe('win-bridge HCN v2 (golden B)', () => {
  it('creates the exact endpoint document, adds it to the namespace, prints the result', async () => {
    const out = await run('ADD', confB(), { CNI_NETNS: NS });
    expect(out.exitCode, out.stdout).toBe(0);
    const create = fake.callsOf('HcnCreateEndpoint');
    expect(create).toHaveLength(1);
    expect(create[0]?.args[1]).toBe('00000000-0000-0000-0000-000000000000');
    expect(create[0]?.args[2]).toBe(
      '{"Name":"abc123_cbr0","HostComputeNetwork":"N","Policies":[{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.244.0.0/16","10.96.0.0/12"]}},{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}},{"Type":"PortMapping","Settings":{"InternalPort":80,"ExternalPort":8080,"Protocol":6,"VIP":""}},{"Type":"OutBoundNAT","Settings":{"Destinations":["10.244.1.5"]}}],"IpConfigurations":[{"IpAddress":"10.244.1.5"}],"Dns":{"Search":["default.svc.cluster.local","svc.cluster.local"],"ServerList":["10.96.0.10"]},"Routes":[{"NextHop":"10.244.1.2","DestinationPrefix":"0.0.0.0/0"}],"Health":{"Extra":{}},"SchemaVersion":{"Major":2,"Minor":0}}',
    );
    const [id, ep] = [...fake.endpoints.entries()][0] as [string, Record<string, unknown>];
    expect(fake.callsOf('HcnModifyNamespace').map((c) => c.args[1])).toEqual([
      `{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"${id}"}}`,
    ]);
    expect(fake.namespaces.get(NS)).toEqual([id]);
    expect(JSON.parse(out.stdout)).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'abc123_cbr0', mac: ep.MacAddress }],
      ips: [{ address: '10.244.1.5/24', gateway: '10.244.1.2' }],
      dns: { nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local', 'svc.cluster.local'] },
    });
    // the network was found with a name filter (a string holding JSON)
    expect(fake.callsOf('HcnEnumerateNetworks')[0]?.args[0]).toBe(
      '{"SchemaVersion":{"Major":2,"Minor":0},"Filter":"{\\"Name\\":\\"cbr0\\"}"}',
    );
    expect(fake.callsOf('HNSCall').map((c) => c.args[1])).toEqual(['/globals/version']); // only the DSR gate
  });

  it('prints the v2 result in every spec version', async () => {
    for (const v of ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
      fake.endpoints.clear();
      fake.namespaces.set(NS, []);
      const out = await run('ADD', confB(v), { CNI_NETNS: NS });
      expect(out.exitCode, out.stdout).toBe(0);
      const r = JSON.parse(out.stdout);
      expect(r.cniVersion).toBe(v);
      if (v === '0.1.0' || v === '0.2.0') {
        expect(r.ip4).toEqual({ ip: '10.244.1.5/24', gateway: '10.244.1.2' });
      } else {
        expect(r.ips[0]).toMatchObject({ address: '10.244.1.5/24', gateway: '10.244.1.2' });
        expect(r.interfaces[0].name).toBe('abc123_cbr0');
      }
      expect(r.dns.nameservers).toEqual(['10.96.0.10']);
    }
  });

  it('user ACL policies pass through: v1 verbatim, v2 as {Type, Settings}', async () => {
    const aclV1 = {
      Type: 'ACL',
      Protocols: '6',
      Action: 'Allow',
      Direction: 'In',
      RemotePorts: '80',
      Priority: 200,
    };
    const aclV2 = {
      Type: 'ACL',
      Settings: { Protocols: '6', Action: 'Block', Direction: 'Out', Priority: 1000 },
    };
    const base = { ipMasqNetwork: '', loopbackDSR: false, runtimeConfig: {} };
    expect(
      (await run('ADD', { ...confA(), ...base, policies: [{ name: 'EndpointPolicy', value: aclV1 }] }))
        .exitCode,
    ).toBe(0);
    expect(JSON.parse(posted()[0]?.args[2] as string).Policies).toEqual([aclV1]);
    expect(
      (
        await run(
          'ADD',
          { ...confB(), ...base, policies: [{ name: 'EndpointPolicy', value: aclV2 }] },
          { CNI_NETNS: NS },
        )
      ).exitCode,
    ).toBe(0);
    expect(fake.callsOf('HcnCreateEndpoint')[0]?.args[2]).toContain(
      '"Policies":[{"Type":"ACL","Settings":{"Protocols":"6","Action":"Block","Direction":"Out","Priority":1000}}]',
    );
  });

  it('a v1-shaped policy under v2 keeps only its Type', async () => {
    const out = await run(
      'ADD',
      { ...confB(), policies: userV1, ipMasqNetwork: '', loopbackDSR: false, runtimeConfig: {} },
      { CNI_NETNS: NS },
    );
    expect(out.exitCode).toBe(0);
    expect(JSON.parse(fake.callsOf('HcnCreateEndpoint')[0]?.args[2] as string).Policies).toEqual([
      { Type: 'OutBoundNAT' },
      { Type: 'ROUTE' },
    ]);
  });

  it('IPv6: gateway ::2 of the prefix and a ::/0 route', async () => {
    fake.networks.length = 0;
    fake.addNetwork({
      ID: 'N',
      Name: 'cbr0',
      Type: 'L2Bridge',
      AddressPrefix: 'fd00:1::/64',
      GatewayAddress: 'fd00:1::1',
    });
    ipamAddress = 'fd00:1::5/64';
    const out = await run(
      'ADD',
      { ...confB(), loopbackDSR: false, ipMasqNetwork: '', policies: [], runtimeConfig: {} },
      { CNI_NETNS: NS },
    );
    expect(out.exitCode, out.stdout).toBe(0);
    const doc = JSON.parse(fake.callsOf('HcnCreateEndpoint')[0]?.args[2] as string);
    expect(doc.IpConfigurations).toEqual([{ IpAddress: 'fd00:1::5' }]);
    expect(doc.Routes).toEqual([{ NextHop: 'fd00:1::2', DestinationPrefix: '::/0' }]);
    expect(JSON.parse(out.stdout).ips).toEqual([{ address: 'fd00:1::5/64', gateway: 'fd00:1::2' }]);
  });

  it('no IPAM: no IpConfigurations or Routes (no [{}] / ::/0), Dns and Health always present', async () => {
    const { ipam: _none, ...conf } = confB();
    const out = await run(
      'ADD',
      { ...conf, policies: [], runtimeConfig: {}, ipMasqNetwork: '', dns: {} },
      { CNI_NETNS: NS },
    );
    expect(out.exitCode, out.stdout).toBe(0);
    expect(fake.callsOf('HcnCreateEndpoint')[0]?.args[2]).toBe(
      '{"Name":"abc123_cbr0","HostComputeNetwork":"N","Dns":{},"Health":{"Extra":{}},"SchemaVersion":{"Major":2,"Minor":0}}',
    );
  });

  it('an invalid namespace ID is refused before IPAM runs', async () => {
    const out = await run('ADD', confB(), { CNI_NETNS: 'none' });
    expect(JSON.parse(out.stdout)).toEqual({
      code: 8,
      msg: 'invalid namespace ID "none": CNI_NETNS must be an HCN namespace GUID',
    });
    expect(ipamCalls).toEqual([]);
    expect(fake.endpoints.size).toBe(0);
  });

  it('namespace failure deletes the new endpoint and releases the IP', async () => {
    const out = await run('ADD', confB(), { CNI_NETNS: '5a3b2c1d-0000-4000-8000-0000000000ff' });
    expect(out.exitCode).toBe(1);
    expect(JSON.parse(out.stdout).msg).toMatch(
      /^HcnOpenNamespace 5a3b2c1d-0000-4000-8000-0000000000ff failed with HRESULT 0x80070490/,
    );
    expect(fake.endpoints.size).toBe(0);
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local']);
  });

  it('create failure: the HRESULT and error record are reported, the IP released', async () => {
    fake.failNext.set('HcnCreateEndpoint', 0x803b0013 | 0);
    const out = await run('ADD', confB(), { CNI_NETNS: NS });
    expect(JSON.parse(out.stdout).msg).toBe(
      'HcnCreateEndpoint failed with HRESULT 0x803b0013 HCN_E_PORT_ALREADY_EXISTS: {"Error":"injected"}',
    );
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local']);
  });

  it('re-ADD is idempotent: same endpoint, no second IPAM, no IP released', async () => {
    const first = await run('ADD', confB(), { CNI_NETNS: NS });
    const again = await run('ADD', confB(), { CNI_NETNS: NS });
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(fake.endpoints.size).toBe(1);
    expect(ipamCalls).toEqual(['ADD host-local']);
  });

  it('DEL: IPAM DEL, namespace Remove, HcnDeleteEndpoint; a second DEL succeeds', async () => {
    expect((await run('ADD', confB(), { CNI_NETNS: NS })).exitCode).toBe(0);
    const id = [...fake.endpoints.keys()][0];
    expect((await run('DEL', confB(), { CNI_NETNS: NS })).exitCode).toBe(0);
    expect(fake.callsOf('HcnModifyNamespace').map((c) => c.args[1])[1]).toBe(
      `{"ResourceType":"Endpoint","RequestType":"Remove","Settings":{"EndpointId":"${id}"}}`,
    );
    expect(fake.callsOf('HcnDeleteEndpoint').map((c) => c.args[0])).toEqual([id]);
    expect(fake.endpoints.size).toBe(0);
    expect(fake.namespaces.get(NS)).toEqual([]);
    expect((await run('DEL', confB(), { CNI_NETNS: NS })).exitCode).toBe(0);
    expect(ipamCalls).toEqual(['ADD host-local', 'DEL host-local', 'DEL host-local']);
  });

  it('CHECK verifies the endpoint, its namespace and the prevResult IP', async () => {
    const add = await run('ADD', confB(), { CNI_NETNS: NS });
    const prevResult = JSON.parse(add.stdout);
    expect((await run('CHECK', { ...confB(), prevResult }, { CNI_NETNS: NS })).exitCode).toBe(0);
    const wrongIP = await run(
      'CHECK',
      { ...confB(), prevResult: { ...prevResult, ips: [{ address: '10.244.1.9/24' }] } },
      { CNI_NETNS: NS },
    );
    expect(JSON.parse(wrongIP.stdout).msg).toBe(
      'endpoint abc123_cbr0 has IP 10.244.1.5, prevResult has 10.244.1.9',
    );
    await run('DEL', confB(), { CNI_NETNS: NS });
    const gone = await run('CHECK', { ...confB(), prevResult }, { CNI_NETNS: NS });
    expect(JSON.parse(gone.stdout).msg).toBe('endpoint abc123_cbr0 not found on network cbr0');
  });

  it('unknown network: the HCN message', async () => {
    const out = await run('ADD', { ...confB(), name: 'nope' }, { CNI_NETNS: NS });
    expect(JSON.parse(out.stdout)).toEqual({
      code: 999,
      msg: 'error while getting network nope: Network name "nope" not found',
    });
  });
});

describe('win-bridge config, STATUS and the process boundary', () => {
  it('bad keys are CNI errors naming the key and value', async () => {
    const bad = [
      [{ apiVersion: '2' }, 'failed to load netconf: key "apiVersion" must be an integer, got string "2"'],
      [
        { loopbackDSR: 'yes' },
        'failed to load netconf: key "loopbackDSR" must be a boolean, got string "yes"',
      ],
      [{ policies: {} }, 'failed to load netconf: key "policies" must be an array, got object {}'],
      [
        { ipMasqNetwork: '10.244.0.0' },
        'invalid ipMasqNetwork "10.244.0.0": want a CIDR such as 10.244.0.0/16',
      ],
      [
        { runtimeConfig: { portMappings: [{ hostPort: 70000, containerPort: 80, protocol: 'tcp' }] } },
        'invalid runtimeConfig.portMappings[0].hostPort 70000: a port is 1-65535',
      ],
    ] as const;
    for (const [patch, msg] of bad) {
      const out = await run('ADD', { ...confA(), ...patch });
      expect(out.exitCode).toBe(1);
      expect(JSON.parse(out.stdout).msg).toBe(msg);
    }
    expect(fake.calls).toEqual([]);
  });

  it('STATUS asks IPAM only when one is configured', async () => {
    expect((await run('STATUS', confA('1.1.0'))).exitCode).toBe(0);
    const { ipam: _none, ...noIpam } = confA('1.1.0');
    expect((await run('STATUS', noIpam)).exitCode).toBe(0);
    expect(ipamCalls).toEqual(['STATUS host-local']);
  });

  it('VERSION lists 0.1.0 to 1.1.0', async () => {
    const out = await run('VERSION', {});
    expect(JSON.parse(out.stdout).supportedVersions).toEqual([
      '0.1.0',
      '0.2.0',
      '0.3.0',
      '0.3.1',
      '0.4.0',
      '1.0.0',
      '1.1.0',
    ]);
  });

  it('off Windows the default plugin answers with a CNI error, not a crash', async () => {
    const { plugin: real } = await import('./index.js');
    const out = await runPlugin(
      real,
      {
        CNI_COMMAND: 'DEL',
        CNI_CONTAINERID: 'abc123',
        CNI_NETNS: 'none',
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/x',
      },
      Buffer.from(JSON.stringify({ cniVersion: '1.0.0', name: 'cbr0', type: 'win-bridge' })),
    );
    expect(out.exitCode).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual({
      code: 999,
      msg: `the Windows HNS/HCN API (computenetwork.dll, vmcompute.dll) is not available on ${process.platform}`,
    });
  });

  it('delegates to a real IPAM executable on CNI_PATH with the identical stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-bridge-ipam-'));
    const saved = process.env.CNI_PATH;
    try {
      const script = join(dir, 'stub-ipam');
      writeFileSync(
        script,
        `#!/bin/sh\ncat > "${dir}/stdin.$CNI_COMMAND"\nif [ "$CNI_COMMAND" = ADD ]; then echo '{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.7/24"}]}'; fi\n`,
      );
      chmodSync(script, 0o755);
      process.env.CNI_PATH = dir;
      const conf = { ...confA('1.0.0'), ipam: { type: 'stub-ipam' } };
      const def = makePlugin({ api: () => fake });
      const env = {
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: 'abc123',
        CNI_NETNS: 'none',
        CNI_IFNAME: 'eth0',
        CNI_PATH: dir,
      };
      const out = await runPlugin(def, env, Buffer.from(JSON.stringify(conf)));
      expect(out.exitCode, out.stdout).toBe(0);
      expect(JSON.parse(out.stdout).ips).toEqual([{ address: '10.244.1.7/24', gateway: '10.244.1.2' }]);
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(join(dir, 'stdin.ADD'), 'utf8')).toBe(JSON.stringify(conf));
    } finally {
      if (saved === undefined) delete process.env.CNI_PATH;
      else process.env.CNI_PATH = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
