// A DEL where the nftables masquerade table does not exist does not run nft at all: the table's
// absence is learnt with one netlink request. (The nft binary is forced here, through a logging
// wrapper, so that each nft run is seen; libnftables is the same path in process.)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IPMASQ_TABLE, setupIPMasq, teardownIPMasq } from '../src/index.js';

describe('ipMasq teardown without the nftables table', () => {
  let dir: string;
  let log: string;
  let saved: { path?: string | undefined; noLib?: string | undefined };
  let t: TestNetNS | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mq-nft-'));
    log = join(dir, 'runs.log');
    const nft = execFileSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'nft'), `#!/bin/sh\necho "nft $*" >> ${log}\nexec ${nft} "$@"\n`);
    chmodSync(join(dir, 'nft'), 0o755);
    saved = { path: process.env.PATH, noLib: process.env.CNI_TS_NFT_NO_LIBRARY };
    process.env.PATH = `${dir}:${process.env.PATH}`;
    process.env.CNI_TS_NFT_NO_LIBRARY = '1';
  });
  afterAll(() => {
    process.env.PATH = saved.path;
    if (saved.noLib === undefined) delete process.env.CNI_TS_NFT_NO_LIBRARY;
    else process.env.CNI_TS_NFT_NO_LIBRARY = saved.noLib;
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    if (t) destroyNetNS(t);
    t = undefined;
  });

  it('runs no nft when the table is absent, and deletes the rules when it is there', () => {
    t = makeNetNS('mqprobe');
    const args = {
      ipns: ['10.33.0.5/24'],
      network: 'probenet',
      ifname: 'eth0',
      containerID: 'probe-1',
      ns: t.ns,
    };
    writeFileSync(log, '');
    teardownIPMasq(args);
    expect(readFileSync(log, 'utf8')).not.toContain('nft');

    setupIPMasq({ ...args, backend: 'nftables' });
    const listed = () =>
      execFileSync('ip', ['netns', 'exec', t?.name ?? '', 'nft', 'list', 'table', 'inet', IPMASQ_TABLE], {
        encoding: 'utf8',
      });
    expect(listed()).toContain('probe-1');
    writeFileSync(log, '');
    teardownIPMasq(args);
    expect(readFileSync(log, 'utf8')).toContain('nft');
    expect(listed()).not.toContain('probe-1');
  });
});
