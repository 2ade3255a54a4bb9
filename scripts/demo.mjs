#!/usr/bin/env node
// The README's main job: a demo network on an embedded default configuration.
// Two throwaway namespaces ("host" and "container") so nothing touches this machine's own
// network; the plugins from dist/cni/bin run as real processes inside the host namespace, chained
// as a runtime would (ADD in order with prevResult, DEL in reverse); connectivity is proved with
// real traffic; then everything is removed and checked gone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
const { NetNS, createNamedNetNS, removeNamedNetNS, sysctlSetIn } = await import(
  join(repo, 'packages', 'ns', 'dist', 'index.js')
);
const { Netlink } = await import(join(repo, 'packages', 'netlink', 'dist', 'index.js'));
const bin = process.env.CNI_PATH || join(repo, 'dist', 'cni', 'bin');
const t0 = performance.now();
const step = (msg) => console.log(`[${((performance.now() - t0) / 1000).toFixed(2).padStart(6)} s] ${msg}`);

const work = mkdtempSync(join(tmpdir(), 'cni-demo-'));
const tag = Math.random().toString(16).slice(2, 8);
const NETWORK = {
  cniVersion: '1.1.0',
  name: 'demo',
  plugins: [
    {
      type: 'bridge',
      bridge: 'cnidemo0',
      isGateway: true,
      ipMasq: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.88.77.0/24' }]], dataDir: join(work, 'ipam') },
    },
    { type: 'portmap', capabilities: { portMappings: true } },
    { type: 'firewall' },
    { type: 'tuning', sysctl: { 'net.ipv4.conf.IFNAME.arp_notify': '1' } },
    { type: 'bandwidth', capabilities: { bandwidth: true } },
  ],
};
const CAPABILITIES = {
  portMappings: [{ hostPort: 18080, containerPort: 8080, protocol: 'tcp' }],
  bandwidth: {
    ingressRate: 100_000_000,
    ingressBurst: 1_000_000,
    egressRate: 100_000_000,
    egressBurst: 1_000_000,
  },
};

let hostPath;
let contPath;
let failed = false;
try {
  const available = NETWORK.plugins.filter((p) => existsSync(join(bin, p.type)));
  const missing = NETWORK.plugins.filter((p) => !existsSync(join(bin, p.type))).map((p) => p.type);
  step(`plugins from ${bin}: ${available.map((p) => p.type).join(' → ')}`);
  if (missing.length) step(`not built yet, left out of the chain: ${missing.join(', ')}`);
  if (!available.some((p) => p.type === 'bridge'))
    throw new Error(`no bridge plugin in ${bin}: run pnpm build`);

  hostPath = createNamedNetNS(`cnidemo-host-${tag}`);
  contPath = createNamedNetNS(`cnidemo-cont-${tag}`);
  const host = NetNS.open(hostPath);
  const cont = NetNS.open(contPath);
  sysctlSetIn(host, 'net.ipv4.ip_forward', '0');
  step(`namespaces: host ${hostPath}, container ${contPath}`);

  const exec = (type, command, conf) => {
    const r = host.run(() =>
      spawnSync(join(bin, type), [], {
        input: JSON.stringify(conf),
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          CNI_COMMAND: command,
          CNI_CONTAINERID: `demo-${tag}`,
          CNI_NETNS: contPath,
          CNI_IFNAME: 'eth0',
          CNI_PATH: bin,
        },
      }),
    );
    if (r.status !== 0) throw new Error(`${type} ${command} failed: ${r.stdout || r.stderr}`);
    return r.stdout ? JSON.parse(r.stdout) : undefined;
  };
  const request = (plugin, prevResult) => {
    const conf = { ...plugin, name: NETWORK.name, cniVersion: NETWORK.cniVersion };
    delete conf.capabilities;
    const rc = Object.fromEntries(
      Object.keys(plugin.capabilities ?? {})
        .filter((k) => CAPABILITIES[k])
        .map((k) => [k, CAPABILITIES[k]]),
    );
    if (Object.keys(rc).length) conf.runtimeConfig = rc;
    if (prevResult) conf.prevResult = prevResult;
    return conf;
  };

  let result;
  for (const p of available) {
    const s = performance.now();
    result = exec(p.type, 'ADD', request(p, result));
    step(`ADD ${p.type} (${(performance.now() - s).toFixed(0)} ms)`);
  }
  console.log(JSON.stringify(result, null, 4));
  for (const p of available) exec(p.type, 'CHECK', request(p, result));
  step('CHECK of every plugin passed');

  // Connectivity: the container reaches its gateway, and a mapped port answers from the host side.
  const ip = result.ips[0].address.split('/')[0];
  const gw = result.ips[0].gateway;
  const server = cont.run(() => {
    const srv = createServer((c) => c.end(`hello from the container (${ip})`));
    srv.listen(8080); // no host: the socket is made synchronously, inside the container namespace
    return srv;
  });
  await new Promise((r) => server.once('listening', r));
  const connect = (ns, addr, port) =>
    new Promise((resolve) => {
      const js = `const s=require('net').connect(${port},${JSON.stringify(addr)});let b='';s.setTimeout(3000,()=>{console.log('timeout');process.exit(1)});s.on('data',d=>b+=d);s.on('end',()=>console.log(b));s.on('error',e=>{console.log(e.code);process.exit(1)})`;
      const child = ns.run(() =>
        spawn(process.execPath, ['-e', js], { stdio: ['ignore', 'pipe', 'inherit'] }),
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('close', (code) => resolve({ code, out: out.trim() }));
    });
  const gwListener = host.run(() => {
    const srv = createServer((c) => c.end('hello from the gateway'));
    srv.listen(18081);
    return srv;
  });
  await new Promise((r) => gwListener.once('listening', r));
  const toGateway = await connect(cont, gw, 18081);
  if (toGateway.code !== 0) throw new Error(`container → gateway ${gw}: ${toGateway.out}`);
  step(`container → gateway ${gw}:18081: "${toGateway.out}"`);
  if (available.some((p) => p.type === 'portmap')) {
    const mapped = await connect(host, gw, 18080);
    if (mapped.code !== 0) throw new Error(`host → ${gw}:18080 (mapped to ${ip}:8080): ${mapped.out}`);
    step(`host → ${gw}:18080, mapped to ${ip}:8080: "${mapped.out}"`);
  }
  await new Promise((r) => server.close(r));
  await new Promise((r) => gwListener.close(r));

  for (const p of [...available].reverse()) {
    const s = performance.now();
    exec(p.type, 'DEL', request(p, result));
    step(`DEL ${p.type} (${(performance.now() - s).toFixed(0)} ms)`);
  }
  const left = [];
  // Links through netlink: /sys/class/net shows the namespace sysfs was mounted in, not ours.
  const linkNames = (ns) => {
    const nl = Netlink.open(ns);
    try {
      return nl.linkList().map((l) => l.name);
    } finally {
      nl.close();
    }
  };
  const links = linkNames(cont);
  if (links.some((l) => l !== 'lo')) left.push(`container links: ${links.join(' ')}`);
  const ipamDir = join(work, 'ipam', NETWORK.name);
  const files = existsSync(ipamDir)
    ? readdirSync(ipamDir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip'))
    : [];
  if (files.length) left.push(`host-local reservations: ${files.join(' ')}`);
  const veths = linkNames(host).filter((l) => l.startsWith('veth'));
  if (veths.length) left.push(`host veths: ${veths.join(' ')}`);
  if (left.length) throw new Error(`left behind after DEL: ${left.join('; ')}`);
  step('nothing left: no container interface, no host veth, no address reservation');
  host.close();
  cont.close();
} catch (err) {
  failed = true;
  console.error(`demo failed: ${err.message}`);
} finally {
  if (contPath) removeNamedNetNS(contPath);
  if (hostPath) removeNamedNetNS(hostPath);
  rmSync(work, { recursive: true, force: true });
}
step(failed ? 'demo FAILED' : 'demo passed; namespaces removed');
process.exit(failed ? 1 : 0);
