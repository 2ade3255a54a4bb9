// The HCN/HNS call sequences of the shared flows, the netconf parser and the error paths of
// the clients, against the fake DLL boundary.
import { describe, expect, it } from 'vitest';
import { provisionV2, removeV1, removeV2 } from './endpoint.js';
import { FakeWindows } from './fake.js';
import { HcnV2 } from './hcn.js';
import { HnsV1 } from './hns.js';
import { IpamSession } from './ipam.js';
import { parseWindowsNetConf } from './netconf.js';

const NS = '5a3b2c1d-0000-4000-8000-000000000001';

function setup() {
  const fake = new FakeWindows();
  fake.addNetwork({
    ID: 'N',
    Name: 'cbr0',
    Type: 'L2Bridge',
    AddressPrefix: '10.0.0.0/24',
    GatewayAddress: '10.0.0.1',
  });
  fake.addNamespace(NS);
  return fake;
}

describe('HCN v2 call sequences', () => {
  it('create: enumerate, open+query+close per ID, open network, create, query, close both, namespace add', async () => {
    const fake = setup();
    const hcn = new HcnV2(fake.hcn);
    await provisionV2(hcn, {
      epName: 'a_cbr0',
      networkID: 'N',
      namespace: NS,
      build: async () => '{"Name":"a_cbr0"}',
    });
    expect(fake.calls.map((c) => c.fn)).toEqual([
      'HcnEnumerateEndpoints',
      'HcnOpenNetwork',
      'HcnCreateEndpoint',
      'HcnQueryEndpointProperties',
      'HcnCloseEndpoint',
      'HcnCloseNetwork',
      'HcnOpenNamespace',
      'HcnModifyNamespace',
      'HcnQueryNamespaceProperties',
      'HcnCloseNamespace',
      'HcnEnumerateEndpoints',
      'HcnOpenEndpoint',
      'HcnQueryEndpointProperties',
      'HcnCloseEndpoint',
    ]);
    expect(fake.openHandles.size).toBe(0);
    fake.calls.length = 0;
    removeV2(hcn, { epName: 'a_cbr0' });
    expect(fake.calls.map((c) => c.fn)).toEqual([
      'HcnEnumerateEndpoints',
      'HcnOpenEndpoint',
      'HcnQueryEndpointProperties',
      'HcnCloseEndpoint',
      'HcnOpenNamespace',
      'HcnModifyNamespace',
      'HcnQueryNamespaceProperties',
      'HcnCloseNamespace',
      'HcnDeleteEndpoint',
    ]);
    expect(fake.openHandles.size).toBe(0);
  });

  it('handles are closed when a query fails, and an error record with S_OK is a failure', () => {
    const fake = setup();
    const hcn = new HcnV2({
      ...fake.hcn,
      HcnQueryNetworkProperties: () => ({ hr: 0, errorRecord: '{"Error":"half failed"}' }),
    });
    expect(() => hcn.getNetworkByName('cbr0')).toThrow(
      'HcnQueryNetworkProperties failed with HRESULT 0x00000000: {"Error":"half failed"}',
    );
    expect(fake.openHandles.size).toBe(0);
  });

  it('a NAT network without Type gets Type NAT', () => {
    const fake = setup();
    const hcn = new HcnV2({
      ...fake.hcn,
      HcnQueryNetworkProperties: () => ({ hr: 0, value: '{"ID":"N","Name":"cbr0"}' }),
      HcnCloseNetwork: () => 0,
    });
    expect(hcn.getNetworkByName('cbr0').Type).toBe('NAT');
  });
});

describe('HNS v1 client', () => {
  it('Success:false and a failed HRESULT are errors with the HNS text', () => {
    const fake = setup();
    const hns = new HnsV1(fake.vmcompute);
    expect(() => hns.deleteEndpoint('nope')).toThrow('hns failed with error : Endpoint not found');
    fake.failNext.set('HNSCall', 0x80070005 | 0);
    expect(() => hns.listNetworks()).toThrow(
      'HNSCall GET /networks/ failed with HRESULT 0x80070005 E_ACCESSDENIED',
    );
    const garbage = new HnsV1({ ...fake.vmcompute, HNSCall: () => ({ hr: 0, response: 'nope' }) });
    expect(() => garbage.listNetworks()).toThrow(
      'hns failed with error : unparsable response to GET /networks/: "nope"',
    );
  });

  it('DSR support: 9.3+ in 9.x or 10.2+, asked once', () => {
    for (const [v, want] of [
      [{ Major: 9, Minor: 2 }, false],
      [{ Major: 9, Minor: 3 }, true],
      [{ Major: 10, Minor: 1 }, false],
      [{ Major: 10, Minor: 2 }, true],
      [{ Major: 11, Minor: 0 }, true],
    ] as const) {
      const fake = setup();
      fake.hnsVersion = { ...v };
      const hns = new HnsV1(fake.vmcompute);
      expect(hns.dsrSupported()).toBe(want);
      expect(hns.dsrSupported()).toBe(want);
      expect(fake.callsOf('HNSCall')).toHaveLength(1);
    }
  });
});

describe('netconf', () => {
  it('keys match case-insensitively; runtime dns replaces servers/searches only', () => {
    const n = parseWindowsNetConf(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'cbr0',
        type: 'win-bridge',
        ApiVersion: 2,
        Policies: [{ Name: 'endpointPolicy', Value: { Type: 'ACL' } }],
        LoopbackDSR: true,
        dns: { nameservers: ['1.1.1.1'], search: ['a'], options: ['ndots:5'], domain: 'd' },
        runtimeConfig: { dns: { servers: ['10.96.0.10'], searches: [], options: ['x'] } },
      }),
    );
    expect(n.apiVersion).toBe(2);
    expect(n.loopbackDSR).toBe(true);
    expect(n.policies).toEqual([{ name: 'endpointPolicy', value: { Type: 'ACL' } }]);
    expect(n.dns).toEqual({ nameservers: ['10.96.0.10'], search: ['a'], options: ['ndots:5'], domain: 'd' });
    expect(n.ipamType).toBe('');
  });

  it('rejects wrong types naming the key and value', () => {
    const base = { cniVersion: '1.0.0', name: 'n', type: 'win-bridge' };
    const cases: [Record<string, unknown>, string][] = [
      [{ apiVersion: 2.5 }, 'key "apiVersion" must be an integer, got number 2.5'],
      [{ policies: [1] }, 'key "policies[0]" must be an object {"name","value"}, got number 1'],
      [
        { runtimeConfig: { dns: { servers: 'x' } } },
        'key "runtimeConfig.dns.servers" must be an array of strings',
      ],
      [
        { runtimeConfig: { portMappings: [{ hostPort: '80' }] } },
        'key "runtimeConfig.portMappings[0].hostPort" must be an integer, got string "80"',
      ],
      [{ ipMasq: 1 }, 'key "ipMasq" must be a boolean, got number 1'],
      [{ endpointMacPrefix: 5 }, 'key "endpointMacPrefix" must be a string, got number 5'],
    ];
    for (const [patch, msg] of cases) {
      expect(() => parseWindowsNetConf(JSON.stringify({ ...base, ...patch }))).toThrow(msg);
    }
  });
});

describe('removal and IPAM sessions', () => {
  it('v2 DEL returns a delete failure; v1 DEL ignores HNS errors', async () => {
    const fake = setup();
    const hcn = new HcnV2(fake.hcn);
    await provisionV2(hcn, {
      epName: 'a_cbr0',
      networkID: 'N',
      namespace: NS,
      build: async () => '{"Name":"a_cbr0"}',
    });
    fake.failNext.set('HcnDeleteEndpoint', 0x80070005 | 0);
    expect(() => removeV2(hcn, { epName: 'a_cbr0' })).toThrow('HcnDeleteEndpoint');
    expect(fake.openHandles.size).toBe(0);

    const hns = new HnsV1(fake.vmcompute);
    const ep = hns.createEndpoint('{"Name":"b_cbr0","VirtualNetwork":"N"}');
    fake.addComputeSystem('b');
    fake.failNext.set('HcsModifyComputeSystem', 0x80004005 | 0);
    fake.computeSystems.set('b', [ep.ID]);
    removeV1(hns, { epName: 'b_cbr0', containerID: 'b', netns: 'none' });
    expect(fake.endpoints.has(ep.ID)).toBe(false);
    expect(fake.openHandles.size).toBe(0);
  });

  it('IpamSession: missing IP config is an error; rollback releases only what was allocated, once', async () => {
    const calls: string[] = [];
    const ipam = {
      add: async () => ({ cniVersion: '1.0.0', ips: [] }),
      del: async () => {
        calls.push('DEL');
      },
      status: async () => {},
    };
    const never = new IpamSession('host-local', Buffer.from('{}'), ipam);
    await never.rollback();
    expect(calls).toEqual([]);
    const s = new IpamSession('host-local', Buffer.from('{}'), ipam);
    await expect(s.add()).rejects.toThrow('IPAM plugin return is missing IP config');
    await s.rollback();
    await s.rollback();
    expect(calls).toEqual(['DEL']);
  });
});
