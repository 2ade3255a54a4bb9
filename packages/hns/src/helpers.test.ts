import { describe, expect, it } from 'vitest';
import { bridgeGateway, checkMacPrefix, endpointName, overlayMac, sandboxID } from './endpoint.js';
import { failed, hresultHex, WindowsCallError, win32Code } from './errors.js';
import { guidFromStruct, guidToStruct, isGuid, sameId } from './guid.js';
import { formatIP, maskIP, parseCIDR, parseIP } from './ip.js';

describe('ip', () => {
  it('parses and prints like Go', () => {
    for (const [i, o] of [
      ['10.244.1.5', '10.244.1.5'],
      ['fd00::5', 'fd00::5'],
      ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::ffff:10.0.0.1', '10.0.0.1'],
      ['::', '::'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ]) {
      expect(formatIP(parseIP(i as string) as Uint8Array)).toBe(o);
    }
    for (const bad of ['10.0.0.256', '10.0.0', '01.2.3.4', 'fd00:::1', '1:2:3:4:5:6:7:8:9', 'x', '']) {
      expect(parseIP(bad)).toBeUndefined();
    }
    expect(parseCIDR('10.244.0.0/33')).toBeUndefined();
    expect(formatIP(maskIP((parseCIDR('10.244.1.77/20') as { ip: Uint8Array }).ip, 20))).toBe('10.244.0.0');
  });
});

describe('endpoint naming, gateway, MAC', () => {
  it('names endpoints after the sandbox', () => {
    expect(sandboxID('abc123', 'none')).toBe('abc123');
    expect(sandboxID('work1', 'container:sandbox9')).toBe('sandbox9');
    expect(sandboxID('abc123', '5a3b2c1d-0000-4000-8000-000000000001')).toBe('abc123');
    expect(endpointName('abc123', '', 'cbr0')).toBe('abc123_cbr0');
    expect(endpointName('w', 'container:s', 'cbr0')).toBe('s_cbr0');
  });
  it('gateway = network + 2 in the last byte, wrapping, v4 and v6', () => {
    expect(bridgeGateway('10.244.1.5/24')).toBe('10.244.1.2');
    expect(bridgeGateway('10.0.0.254/31')).toBe('10.0.0.0');
    expect(bridgeGateway('10.0.0.255/32')).toBe('10.0.0.1');
    expect(bridgeGateway('fd00:1::5/64')).toBe('fd00:1::2');
  });
  it('MAC: prefix and lowercase octets; prefix checked', () => {
    expect(overlayMac('0E-2A', '10.244.1.5')).toBe('0E-2A-0a-f4-01-05');
    expect(checkMacPrefix('')).toBe('0E-2A');
    expect(checkMacPrefix('AA-BB')).toBe('AA-BB');
    expect(() => checkMacPrefix('AABB')).toThrow(
      'endpointMacPrefix [AABB] is invalid, value must be of the format xx-xx',
    );
  });
});

describe('GUIDs and HRESULTs', () => {
  it('GUID text and struct round trip; IDs compare case-insensitively', () => {
    const id = '5a3b2c1d-0000-4000-8000-00000000000a';
    expect(guidFromStruct(guidToStruct(id))).toBe(id);
    expect(isGuid(id.toUpperCase())).toBe(true);
    expect(isGuid(`{${id}}`)).toBe(false);
    expect(sameId(id, id.toUpperCase())).toBe(true);
    expect(() => guidToStruct('nope')).toThrow('invalid GUID "nope"');
  });
  it('HRESULT helpers', () => {
    expect(win32Code(0x80070490 | 0)).toBe(0x490);
    expect(win32Code(0x803b0001 | 0)).toBeUndefined();
    expect(hresultHex(0x80070490 | 0)).toBe('0x80070490');
    expect(failed(0)).toBe(false);
    expect(failed(0, '{"Error":"x"}')).toBe(true);
    expect(failed(0x80004005 | 0)).toBe(true);
    const e = new WindowsCallError('HcnOpenNetwork', 0x80070490 | 0, '{"Error":"gone"}', 'id1');
    expect(e.message).toBe(
      'HcnOpenNetwork id1 failed with HRESULT 0x80070490 ERROR_NOT_FOUND (Win32 error 1168): {"Error":"gone"}',
    );
    expect(e.notFound).toBe(true);
  });
});
