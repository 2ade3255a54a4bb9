import { describe, expect, it } from 'vitest';
import { clientIdFor, loadIpamConfig, prepareOptions, resultFromAck } from './options.js';
import { encodeClasslessRoutes, newMessage, Opt } from './packet.js';

describe('ipam config', () => {
  it('defaults the socket path', () => {
    expect(loadIpamConfig({ type: 'dhcp' })).toEqual({
      daemonSocketPath: '/run/cni/dhcp.sock',
      provide: [],
      request: [],
    });
  });
  it('names the key and value of a bad entry', () => {
    expect(() => loadIpamConfig({ provide: [{ option: 'nope' }] })).toThrow(
      /ipam.provide\[0\].option.*"nope"/,
    );
    expect(() => loadIpamConfig({ request: [{ option: '256' }] })).toThrow(/ipam.request\[0\].option/);
    expect(() => loadIpamConfig({ provide: [{ option: 'host-name', value: 'x'.repeat(256) }] })).toThrow(
      /too long/,
    );
    expect(() => loadIpamConfig({ priority: -1 })).toThrow(/ipam.priority/);
    expect(() => loadIpamConfig({ daemonSocketPath: 5 })).toThrow(/daemonSocketPath/);
  });
});

describe('prepareOptions', () => {
  it('requests router and subnet mask by default, plus requested options', () => {
    const o = prepareOptions('', [], [{ option: '121' }]);
    expect([...(o.get(Opt.PARAM_REQUEST_LIST) ?? [])]).toEqual([121, 3, 1]);
  });
  it('skipDefault drops the defaults', () => {
    const o = prepareOptions('', [], [{ option: 'routers', skipDefault: true }]);
    expect([...(o.get(Opt.PARAM_REQUEST_LIST) ?? [])]).toEqual([3]);
    expect(prepareOptions('', [], [{ skipDefault: true }]).has(Opt.PARAM_REQUEST_LIST)).toBe(false);
  });
  it('provides values from the config and from CNI_ARGS (which wins)', () => {
    const o = prepareOptions(
      'K8S_POD_NAME=web-1;IgnoreUnknown=1',
      [{ option: 'host-name', value: 'cfg', fromArg: 'K8S_POD_NAME' }],
      [],
    );
    expect(o.get(Opt.HOST_NAME)?.toString()).toBe('web-1');
    const o2 = prepareOptions('', [{ option: '60', value: 'vendor' }], []);
    expect(o2.get(60)?.toString()).toBe('vendor');
  });
});

describe('client id', () => {
  it('is containerID/network/ifname truncated to 254 bytes', () => {
    expect(clientIdFor('c1', 'net', 'eth0')).toBe('c1/net/eth0');
    expect(Buffer.byteLength(clientIdFor('x'.repeat(300), 'net', 'eth0'))).toBe(254);
  });
});

function ack(opts: [number, Buffer][]) {
  const m = newMessage({ xid: 1, chaddr: '02:00:00:00:00:01', yiaddr: '10.0.0.7' });
  for (const [k, v] of opts) m.options.set(k, v);
  return m;
}

describe('resultFromAck', () => {
  it('needs the subnet mask', () => {
    expect(() => resultFromAck(ack([]))).toThrow(/Subnet Mask/);
  });
  it('option 33 routes plus a default route via the router', () => {
    const r = resultFromAck(
      ack([
        [Opt.SUBNET_MASK, Buffer.from([255, 255, 255, 0])],
        [Opt.ROUTER, Buffer.from([10, 0, 0, 1])],
        [Opt.STATIC_ROUTES, Buffer.from([192, 168, 3, 0, 10, 0, 0, 2])],
      ]),
    );
    expect(r).toEqual({
      ips: [{ address: '10.0.0.7/24', gateway: '10.0.0.1' }],
      routes: [
        { dst: '192.168.3.0/24', gw: '10.0.0.2' },
        { dst: '0.0.0.0/0', gw: '10.0.0.1' },
      ],
    });
  });
  it('option 121 replaces option 33 and the default route; router 0.0.0.0 is link scope', () => {
    const r = resultFromAck(
      ack([
        [Opt.SUBNET_MASK, Buffer.from([255, 255, 0, 0])],
        [Opt.ROUTER, Buffer.from([10, 0, 0, 1])],
        [Opt.STATIC_ROUTES, Buffer.from([192, 168, 3, 0, 10, 0, 0, 2])],
        [
          Opt.CLASSLESS_ROUTES,
          encodeClasslessRoutes([
            { dst: '192.168.50.0/24', router: '10.0.0.254' },
            { dst: '10.99.0.0/16', router: '0.0.0.0' },
          ]),
        ],
      ]),
    );
    expect(r.ips).toEqual([{ address: '10.0.0.7/16', gateway: '10.0.0.1' }]);
    expect(r.routes).toEqual([
      { dst: '192.168.50.0/24', gw: '10.0.0.254' },
      { dst: '10.99.0.0/16', scope: 253 },
    ]);
  });
  it('no router: no gateway, no default route', () => {
    expect(resultFromAck(ack([[Opt.SUBNET_MASK, Buffer.from([255, 255, 255, 0])]]))).toEqual({
      ips: [{ address: '10.0.0.7/24' }],
      routes: [],
    });
  });
});
