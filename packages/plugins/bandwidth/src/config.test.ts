import { CniError } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { isZero, parseConf } from './config.js';

const base = { cniVersion: '1.0.0', name: 'net', type: 'bandwidth' };
const parse = (o: object) => parseConf(JSON.stringify({ ...base, ...o }));
const err = (o: object): CniError => {
  try {
    parse(o);
  } catch (e) {
    return e as CniError;
  }
  throw new Error('no error');
};

describe('parseConf', () => {
  it('no bandwidth at all', () => {
    expect(parse({}).bandwidth).toBeUndefined();
  });
  it('top-level keys', () => {
    expect(parse({ ingressRate: 800, ingressBurst: 200 }).bandwidth).toEqual({
      ingressRate: 800,
      ingressBurst: 200,
      egressRate: 0,
      egressBurst: 0,
    });
  });
  it('runtimeConfig.bandwidth when no top-level key exists (keys match case-insensitively)', () => {
    const c = parse({ runtimeConfig: { bandWidth: { egressRate: 8000, egressBurst: 16000 } } });
    expect(c.bandwidth).toEqual({ ingressRate: 0, ingressBurst: 0, egressRate: 8000, egressBurst: 16000 });
  });
  it('any top-level key (even zero) wins over runtimeConfig, as Go allocates the entry', () => {
    const c = parse({
      ingressRate: 0,
      runtimeConfig: { bandwidth: { egressRate: 8000, egressBurst: 16000 } },
    });
    expect(c.bandwidth && isZero(c.bandwidth)).toBe(true);
  });
  it('rate without burst and burst without rate', () => {
    const a = err({ ingressRate: 100 });
    expect(a).toBeInstanceOf(CniError);
    expect(a.code).toBe(999);
    expect(a.msg).toBe('if rate is set, burst must also be set (ingressRate 100, ingressBurst 0)');
    expect(err({ egressBurst: 100 }).msg).toBe(
      'if burst is set, rate must also be set (egressBurst 100, egressRate 0)',
    );
    expect(err({ runtimeConfig: { bandwidth: { egressBurst: 5 } } }).msg).toMatch(/if burst is set/);
  });
  it('the 4 GB burst limit: burst/8 must stay below 2^32-1', () => {
    expect(parse({ ingressRate: 1, ingressBurst: 8 * 0xffffffff - 1 }).bandwidth?.ingressBurst).toBe(
      8 * 0xffffffff - 1,
    );
    expect(err({ ingressRate: 1, ingressBurst: 8 * 0xffffffff }).msg).toBe(
      `burst cannot be more than 4GB (ingressBurst ${8 * 0xffffffff})`,
    );
  });
  it('wrong types name the key and value', () => {
    expect(err({ ingressRate: -1, ingressBurst: 1 }).msg).toMatch(/cannot unmarshal number -1 .*ingressRate/);
    expect(err({ egressRate: '5', egressBurst: 1 }).msg).toMatch(/cannot unmarshal string "5" .*egressRate/);
    expect(err({ egressRate: 1.5, egressBurst: 1 }).msg).toMatch(/number 1.5/);
    expect(err({ runtimeConfig: { bandwidth: [1] } }).msg).toMatch(/runtimeConfig.bandwidth/);
  });
  it('null values leave zero', () => {
    expect(parse({ ingressRate: null, ingressBurst: null }).bandwidth).toEqual({
      ingressRate: 0,
      ingressBurst: 0,
      egressRate: 0,
      egressBurst: 0,
    });
  });
});
