import { CniError } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { parseConf } from './config.js';

const base = { cniVersion: '1.0.0', name: 'net', type: 'macvlan' };
const parse = (extra: object, args = '') => parseConf(JSON.stringify({ ...base, ...extra }), args);

function err(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('macvlan parseConf', () => {
  it('applies the defaults', () => {
    const c = parse({});
    expect(c.master).toBe('');
    expect(c.mode).toBe('bridge');
    expect(c.mtu).toBe(0);
    expect(c.linkInContainer).toBe(false);
    expect(c.mac).toBeUndefined();
    expect(c.bcQueueLen).toBeUndefined();
  });

  it('reads every key, case-insensitively like Go', () => {
    const c = parse({ Master: 'eth1', MODE: 'vepa', mtu: 1400, linkincontainer: true, bcqueuelen: 3000 });
    expect(c).toMatchObject({
      master: 'eth1',
      mode: 'vepa',
      mtu: 1400,
      linkInContainer: true,
      bcQueueLen: 3000,
    });
  });

  it('treats bcqueuelen 0 as unset (Go omitempty)', () => {
    expect(parse({ bcqueuelen: 0 }).bcQueueLen).toBeUndefined();
  });

  it.each(['bridge', 'private', 'vepa', 'passthru'])('accepts mode %s', (mode) => {
    expect(parse({ mode }).mode).toBe(mode);
  });

  it('rejects an unknown mode with the reference message', () => {
    const e = err(() => parse({ mode: 'source' }));
    expect(e.code).toBe(7);
    expect(e.msg).toBe('unknown macvlan mode: "source"');
  });

  it('names the key and value of wrong types and ranges', () => {
    expect(err(() => parse({ mtu: '1500' })).msg).toBe(
      'failed to load netconf: key "mtu" must be an integer, got string "1500"',
    );
    expect(err(() => parse({ mtu: 1.5 })).msg).toContain('"mtu" must be an integer, got number 1.5');
    expect(err(() => parse({ mtu: -1 })).msg).toBe('invalid "mtu" -1: must not be negative');
    expect(err(() => parse({ master: 5 })).msg).toContain('"master" must be a string, got number 5');
    expect(err(() => parse({ linkInContainer: 'yes' })).msg).toContain('"linkInContainer" must be a boolean');
    expect(err(() => parse({ bcqueuelen: -4 })).msg).toBe(
      'invalid "bcqueuelen" -4: must be in [0, 4294967295]',
    );
    expect(err(() => parse({ bcqueuelen: 2 ** 32 })).code).toBe(7);
  });

  it('MAC precedence: config < CNI_ARGS < runtimeConfig', () => {
    expect(parse({ mac: '02:00:00:00:00:01' }).mac).toBe('02:00:00:00:00:01');
    expect(parse({ mac: '02:00:00:00:00:01' }, 'MAC=02:00:00:00:00:02').mac).toBe('02:00:00:00:00:02');
    expect(
      parse(
        { mac: '02:00:00:00:00:01', runtimeConfig: { mac: '02-00-00-00-00-0A' } },
        'MAC=02:00:00:00:00:02',
      ).mac,
    ).toBe('02:00:00:00:00:0a');
  });

  it('rejects bad MACs naming where they came from', () => {
    expect(err(() => parse({ mac: 'zz' })).msg).toBe('invalid "mac" "zz": not a MAC address');
    expect(err(() => parse({}, 'MAC=01:00:5e:00:00:01')).msg).toBe(
      'invalid "CNI_ARGS MAC" "01:00:5e:00:00:01": not a unicast MAC address',
    );
    expect(err(() => parse({ runtimeConfig: { mac: 7 } })).msg).toContain(
      '"runtimeConfig.mac" must be a string',
    );
  });

  it('CNI_ARGS follow Go LoadArgs (unknown keys need IgnoreUnknown)', () => {
    expect(err(() => parse({}, 'FOO=bar')).code).toBe(4);
    expect(parse({}, 'IgnoreUnknown=1;FOO=bar;MAC=02:00:00:00:00:03').mac).toBe('02:00:00:00:00:03');
  });
});
