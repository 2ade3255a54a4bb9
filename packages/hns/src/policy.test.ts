// The upstream pkg/hns netconf tests (windows.md §1.7), for HNS v1 and HCN v2, with DSR support
// injected instead of asked from a live HNS.
import { goStringify } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import type { Policy } from './netconf.js';
import {
  applyDefaultPA,
  applyLoopbackDSR,
  applyOutboundNat,
  applyPortMappings,
  hcnEndpointPolicies,
  hnsEndpointPolicies,
  protocolNumber,
} from './policy.js';

const ep = (value: unknown): Policy => ({ name: 'EndpointPolicy', value });
const json = (p: Policy[]) => p.map((x) => goStringify(x.value));

describe('upstream cases, HNS v1', () => {
  it('DSR duplicate: one policy', () => {
    const p: Policy[] = [];
    applyLoopbackDSR(p, 1, '172.16.0.12', true);
    applyLoopbackDSR(p, 1, '172.16.0.12', true);
    expect(json(p)).toEqual(['{"Type":"OutBoundNAT","Destinations":["172.16.0.12"]}']);
  });
  it('DSR different: two policies', () => {
    const p: Policy[] = [];
    applyLoopbackDSR(p, 1, '172.16.0.12', true);
    applyLoopbackDSR(p, 1, '172.16.0.13', true);
    expect(p).toHaveLength(2);
    expect(json(p)[1]).toBe('{"Type":"OutBoundNAT","Destinations":["172.16.0.13"]}');
  });
  it('NAT different: two policies', () => {
    const p: Policy[] = [];
    applyOutboundNat(p, 1, '192.168.0.0/16');
    applyOutboundNat(p, 1, '10.244.0.0/16');
    expect(json(p)).toEqual([
      '{"Type":"OutBoundNAT","ExceptionList":["192.168.0.0/16"]}',
      '{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16"]}',
    ]);
  });
  it('NAT no list: the other entry is kept', () => {
    const p: Policy[] = [ep({ Type: 'OutBoundNAT', OtherList: [] })];
    applyOutboundNat(p, 1, '10.244.0.0/16');
    expect(json(p)).toEqual([
      '{"Type":"OutBoundNAT","OtherList":[]}',
      '{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16"]}',
    ]);
  });
  it('NAT blank: nothing added, the empty list stays a list', () => {
    const p: Policy[] = [ep({ Type: 'OutBoundNAT', ExceptionList: [] })];
    applyOutboundNat(p, 1, '');
    expect(json(p)).toEqual(['{"Type":"OutBoundNAT","ExceptionList":[]}']);
  });
  it('PA different: two policies', () => {
    const p: Policy[] = [];
    applyDefaultPA(p, 1, '192.168.0.1');
    applyDefaultPA(p, 1, '192.168.0.2');
    expect(json(p)).toEqual(['{"Type":"PA","PA":"192.168.0.1"}', '{"Type":"PA","PA":"192.168.0.2"}']);
  });
  it('PA blank: nothing added', () => {
    const p: Policy[] = [ep({ Type: 'OutBoundNAT' })];
    applyDefaultPA(p, 1, '');
    expect(p).toHaveLength(1);
  });
  it('PortMap empty: nothing added', () => {
    const p: Policy[] = [];
    applyPortMappings(p, 1, []);
    expect(p).toEqual([]);
  });
  it('PortMap one: NAT with the protocol as given, hostIP ignored', () => {
    const p: Policy[] = [];
    applyPortMappings(p, 1, [{ hostPort: 8080, containerPort: 80, protocol: 'TCP', hostIP: '192.168.1.2' }]);
    expect(json(p)).toEqual(['{"Type":"NAT","InternalPort":80,"ExternalPort":8080,"Protocol":"TCP"}']);
  });
  it('GetHNSEndpointPolicies: only EndpointPolicy entries', () => {
    const p: Policy[] = [
      ep({ Type: 'OutBoundNAT', ExceptionList: ['192.168.1.2'] }),
      { name: 'someOtherType', value: { Type: 'x' } },
    ];
    expect(hnsEndpointPolicies(p)).toEqual([{ Type: 'OutBoundNAT', ExceptionList: ['192.168.1.2'] }]);
  });
});

describe('upstream cases, HCN v2', () => {
  const v2 = (p: Policy[]) => hcnEndpointPolicies(p).map((x) => goStringify(x));
  it('DSR duplicate: one policy', () => {
    const p: Policy[] = [];
    applyLoopbackDSR(p, 2, '172.16.0.12', true);
    applyLoopbackDSR(p, 2, '172.16.0.12', true);
    expect(v2(p)).toEqual(['{"Type":"OutBoundNAT","Settings":{"Destinations":["172.16.0.12"]}}']);
  });
  it('DSR different: two policies', () => {
    const p: Policy[] = [];
    applyLoopbackDSR(p, 2, '172.16.0.12', true);
    applyLoopbackDSR(p, 2, '172.16.0.13', true);
    expect(v2(p)[1]).toBe('{"Type":"OutBoundNAT","Settings":{"Destinations":["172.16.0.13"]}}');
  });
  it('NAT different: two policies', () => {
    const p: Policy[] = [];
    applyOutboundNat(p, 2, '192.168.0.0/16');
    applyOutboundNat(p, 2, '10.244.0.0/16');
    expect(v2(p)).toEqual([
      '{"Type":"OutBoundNAT","Settings":{"Exceptions":["192.168.0.0/16"]}}',
      '{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.244.0.0/16"]}}',
    ]);
  });
  it('NAT no list: the other entry is kept', () => {
    const p: Policy[] = [ep({ Type: 'OutBoundNAT', Settings: { Others: [] } })];
    applyOutboundNat(p, 2, '10.244.0.0/16');
    expect(v2(p)).toEqual([
      '{"Type":"OutBoundNAT","Settings":{"Others":[]}}',
      '{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.244.0.0/16"]}}',
    ]);
  });
  it('NAT blank: nothing added, the empty list stays a list', () => {
    const p: Policy[] = [ep({ Type: 'OutBoundNAT', Settings: { Exceptions: [] } })];
    applyOutboundNat(p, 2, '');
    expect(v2(p)).toEqual(['{"Type":"OutBoundNAT","Settings":{"Exceptions":[]}}']);
  });
  it('PA different: two policies', () => {
    const p: Policy[] = [];
    applyDefaultPA(p, 2, '192.168.0.1');
    applyDefaultPA(p, 2, '192.168.0.2');
    expect(v2(p)[1]).toBe('{"Type":"ProviderAddress","Settings":{"ProviderAddress":"192.168.0.2"}}');
  });
  it('PA blank: nothing added', () => {
    const p: Policy[] = [ep({ Type: 'OutBoundNAT' })];
    applyDefaultPA(p, 2, '');
    expect(p).toHaveLength(1);
  });
  it('PortMap empty: nothing added', () => {
    const p: Policy[] = [];
    applyPortMappings(p, 2, []);
    expect(hcnEndpointPolicies(p)).toEqual([]);
  });
  it('PortMap one: PortMapping with the protocol number and the VIP', () => {
    const p: Policy[] = [];
    applyPortMappings(p, 2, [{ hostPort: 8080, containerPort: 80, protocol: 'TCP', hostIP: '192.168.1.2' }]);
    expect(v2(p)).toEqual([
      '{"Type":"PortMapping","Settings":{"InternalPort":80,"ExternalPort":8080,"Protocol":6,"VIP":"192.168.1.2"}}',
    ]);
  });
  it('GetHostComputeEndpointPolicies: one OutBoundNAT with the exception', () => {
    const p: Policy[] = [
      ep({ Type: 'OutBoundNAT', Settings: { Exceptions: ['192.168.1.2'] } }),
      { name: 'someOtherType', value: { Type: 'x' } },
    ];
    const out = hcnEndpointPolicies(p);
    expect(out).toHaveLength(1);
    expect(out[0]?.Type).toBe('OutBoundNAT');
    expect((out[0]?.Settings as { Exceptions: string[] } | undefined)?.Exceptions).toContain('192.168.1.2');
  });
});

describe('policy details', () => {
  it('DSR is skipped when HNS does not support it or there is no IP (no "<nil>")', () => {
    const p: Policy[] = [];
    applyLoopbackDSR(p, 1, '10.0.0.1', false);
    applyLoopbackDSR(p, 2, '', true);
    expect(p).toEqual([]);
  });
  it('an existing exception or provider address is not repeated, across PA/ProviderAddress forms', () => {
    const p1: Policy[] = [ep({ Type: 'OutBoundNAT', ExceptionList: ['10.0.0.0/8', '10.244.0.0/16'] })];
    applyOutboundNat(p1, 1, '10.244.0.0/16');
    expect(p1).toHaveLength(1);
    const p2: Policy[] = [ep({ Type: 'ProviderAddress', Settings: { ProviderAddress: '10.0.133.170' } })];
    applyDefaultPA(p2, 2, '10.0.133.170');
    expect(p2).toHaveLength(1);
    const p3: Policy[] = [ep({ Type: 'PA', PA: '10.0.0.5' })];
    applyDefaultPA(p3, 1, '10.0.0.5');
    expect(p3).toHaveLength(1);
  });
  it('v2 reparses policies: other keys dropped, key case ignored, non-objects dropped', () => {
    const p: Policy[] = [
      ep({ Type: 'OutBoundNAT', ExceptionList: ['10.0.0.0/8'] }),
      ep({ type: 'ACL', settings: { Action: 'Allow' } }),
      ep('not a policy'),
      ep({ Type: 7 }),
      { name: 'endpointpolicy', value: { Type: 'SDNRoute', Settings: { NeedEncap: true } } },
    ];
    expect(hcnEndpointPolicies(p).map((x) => goStringify(x))).toEqual([
      '{"Type":"OutBoundNAT"}',
      '{"Type":"ACL","Settings":{"Action":"Allow"}}',
      '{"Type":"SDNRoute","Settings":{"NeedEncap":true}}',
    ]);
  });
  it('protocols: names in any case, numbers in Go base-0 form up to 1023', () => {
    expect(
      ['tcp', 'UDP', 'icmpv4', 'igmp', 'icmpv6', '17', '0x11', '021', '0o21', '0b10001'].map(protocolNumber),
    ).toEqual([6, 17, 1, 2, 58, 17, 17, 17, 17, 17]);
    expect(['sctp', '', '1024', '-1', 'tcp6'].map(protocolNumber)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
  it('port maps: udp / number / hex in both versions; sctp is an error naming the mapping', () => {
    const maps = [
      { hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '' },
      { hostPort: 54, containerPort: 54, protocol: '17', hostIP: '' },
      { hostPort: 55, containerPort: 55, protocol: '0x11', hostIP: '10.0.0.1' },
    ];
    const p1: Policy[] = [];
    applyPortMappings(p1, 1, maps);
    expect(json(p1)).toEqual([
      '{"Type":"NAT","InternalPort":53,"ExternalPort":53,"Protocol":"udp"}',
      '{"Type":"NAT","InternalPort":54,"ExternalPort":54,"Protocol":"17"}',
      '{"Type":"NAT","InternalPort":55,"ExternalPort":55,"Protocol":"0x11"}',
    ]);
    const p2: Policy[] = [];
    applyPortMappings(p2, 2, maps);
    expect(json(p2)).toEqual([
      '{"Type":"PortMapping","Settings":{"InternalPort":53,"ExternalPort":53,"Protocol":17,"VIP":""}}',
      '{"Type":"PortMapping","Settings":{"InternalPort":54,"ExternalPort":54,"Protocol":17,"VIP":""}}',
      '{"Type":"PortMapping","Settings":{"InternalPort":55,"ExternalPort":55,"Protocol":17,"VIP":"10.0.0.1"}}',
    ]);
    expect(() =>
      applyPortMappings([], 2, [...maps, { hostPort: 9, containerPort: 9, protocol: 'sctp', hostIP: '' }]),
    ).toThrow('invalid runtimeConfig.portMappings[3].protocol "sctp"');
  });
});
