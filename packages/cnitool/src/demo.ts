// `cnitool demo`: the README's first command. A throwaway "host" namespace and a "container"
// namespace, so nothing touches this machine's own network; a network from the embedded default
// configuration (whichever of bridge + host-local, portmap, firewall, tuning, bandwidth exist in
// the plugin directory); cnitool's own add/check/status/del/gc run as child processes inside the
// host namespace (every plugin they start inherits it); real traffic proves connectivity; then
// everything is deleted and shown gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execIn, findBinary } from '@cni/iptables';
import { Netlink } from '@cni/netlink';
import { createNamedNetNS, NetNS, removeNamedNetNS, sysctlSetIn } from '@cni/ns';
import { CNIConfig } from '@cni/libcni';
import { findInPath } from '@cni/skel';
import { containerIdFor } from './args.js';
import type { IO } from './run.js';
import { formatReport, validate } from './validate.js';

export const DEMO_NETWORK = 'cnitool-demo';
export const DEMO_BRIDGE = 'cnidemo0';
export const DEMO_SUBNET = '10.88.77.0/24';
export const DEMO_HOST_PORT = 18080;
export const DEMO_CONTAINER_PORT = 8080;
const GATEWAY_PORT = 18081;

/** The embedded default network; `dataDir` is where host-local keeps its reservations. */
/** The versions the demo may use, oldest first (firewall needs ≥ 0.4.0, bandwidth ≥ 0.3.0). */
export const DEMO_VERSIONS = ['0.4.0', '1.0.0', '1.1.0'];

export function demoConfList(
  dataDir: string,
  types?: readonly string[],
  cniVersion = '1.1.0',
): Record<string, unknown> {
  const plugins: Record<string, unknown>[] = [
    {
      type: 'bridge',
      bridge: DEMO_BRIDGE,
      isGateway: true,
      ipMasq: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: DEMO_SUBNET }]], dataDir },
    },
    { type: 'portmap', capabilities: { portMappings: true } },
    { type: 'firewall' },
    { type: 'tuning', sysctl: { 'net.ipv4.conf.IFNAME.arp_notify': '1' } },
    { type: 'bandwidth', capabilities: { bandwidth: true } },
  ];
  return {
    cniVersion,
    name: DEMO_NETWORK,
    plugins: types ? plugins.filter((p) => types.includes(p.type as string)) : plugins,
  };
}

export const DEMO_CAP_ARGS = {
  portMappings: [{ hostPort: DEMO_HOST_PORT, containerPort: DEMO_CONTAINER_PORT, protocol: 'tcp' }],
  bandwidth: {
    ingressRate: 100_000_000,
    ingressBurst: 1_000_000,
    egressRate: 100_000_000,
    egressBurst: 1_000_000,
  },
};

/**
 * Where the demo takes its plugins: CNI_PATH when set; else the `dist/cni/bin` of the
 * repository this cnitool was built in (the first ancestor of this file that has one); else
 * /opt/cni/bin (the conventional plugin directory).
 */
export function demoPluginPaths(env: NodeJS.ProcessEnv, from = fileURLToPath(import.meta.url)): string[] {
  if (env.CNI_PATH) return env.CNI_PATH.split(delimiter).filter(Boolean);
  for (let d = dirname(from); ; d = dirname(d)) {
    const bin = join(d, 'dist', 'cni', 'bin');
    if (existsSync(join(bin, 'bridge'))) return [bin];
    if (dirname(d) === d) break;
  }
  return ['/opt/cni/bin'];
}

interface Child {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess, input?: string): Promise<Child> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (e) => {
      stderr += e.message;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** A TCP client in `ns` (a child process forked inside it): what does `addr:port` answer? */
function connectFrom(ns: NetNS, addr: string, port: number): Promise<{ ok: boolean; out: string }> {
  const js = `const s=require('net').connect(${port},${JSON.stringify(addr)});let b='';s.setTimeout(5000,()=>{console.log('timeout');process.exit(1)});s.on('data',d=>b+=d);s.on('end',()=>console.log(b));s.on('error',e=>{console.log(e.code);process.exit(1)})`;
  const child = ns.run(() => spawn(process.execPath, ['-e', js], { stdio: ['pipe', 'pipe', 'pipe'] }));
  return collect(child).then((r) => ({ ok: r.code === 0, out: (r.stdout || r.stderr).trim() }));
}

/** A TCP server whose socket is made inside `ns`. */
async function listenIn(ns: NetNS, port: number, reply: string): Promise<Server> {
  const srv = ns.run(() => {
    const s = createServer((c) => c.end(reply));
    s.listen(port); // no host: the socket is made synchronously, inside the namespace
    return s;
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('listening', () => resolve());
    srv.once('error', reject);
  });
  return srv;
}

function linkNames(ns: NetNS): string[] {
  // Through netlink: /sys/class/net shows the namespace sysfs was mounted in, not ours.
  const nl = Netlink.open(ns);
  try {
    return nl.linkList().map((l) => l.name);
  } finally {
    nl.close();
  }
}

/** Firewall state of `ns` mentioning `needles` (iptables-save and nft, whichever exist). */
function netfilterLines(ns: NetNS, needles: string[]): string[] {
  const out: string[] = [];
  for (const [bin, args] of [
    ['iptables-save', []],
    ['ip6tables-save', []],
    ['nft', ['list', 'ruleset']],
  ] as const) {
    const b = findBinary(bin);
    if (!b) continue;
    const r = execIn(ns, b, [...args]);
    if (r.status !== 0) continue;
    for (const l of r.stdout.split('\n')) if (needles.some((n) => l.includes(n))) out.push(l.trim());
  }
  return out;
}

export interface DemoOptions {
  env: NodeJS.ProcessEnv;
  io: IO;
  /** argv that starts this cnitool (node + script). */
  self: string[];
  keep?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const t0 = performance.now();
  const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(2).padStart(6)} s]`;
  const step = (msg: string) => o.io.stdout(`${stamp()} ${msg}\n`);
  const ms = (since: number) => `${Math.round(performance.now() - since)} ms`;

  const paths = demoPluginPaths(o.env);
  const tag = Math.random().toString(16).slice(2, 8);
  const work = mkdtempSync(join(tmpdir(), 'cnitool-demo-'));
  const netDir = join(work, 'net.d');
  const cacheDir = join(work, 'cache');
  const dataDir = join(work, 'ipam');
  mkdirSync(netDir);
  let hostPath: string | undefined;
  let contPath: string | undefined;
  let host: NetNS | undefined;
  let cont: NetNS | undefined;
  const servers: Server[] = [];
  let added = false;
  let failed = false;
  // Ctrl-C (or the caller's signal): kill the running step, then clean up in `finally`.
  const ac = new AbortController();

  // A verb of this very cnitool, as a process inside the host namespace.
  const cnitool = async (...args: string[]): Promise<Child> => {
    const env: NodeJS.ProcessEnv = {
      PATH: o.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      NETCONFPATH: netDir,
      CNI_PATH: paths.join(delimiter),
      CNI_CACHE_DIR: cacheDir,
      CAP_ARGS: JSON.stringify(DEMO_CAP_ARGS),
      CNI_IFNAME: 'eth0',
    };
    if (o.env.CNI_TS_NODE) env.CNI_TS_NODE = o.env.CNI_TS_NODE;
    const [cmd, ...pre] = o.self as [string, ...string[]];
    const timeout = o.timeoutMs !== undefined ? [`--timeout=${o.timeoutMs / 1000}`] : [];
    const child = (host as NetNS).run(() =>
      spawn(cmd, [...pre, ...args, ...timeout], { env, stdio: ['pipe', 'pipe', 'pipe'], signal: ac.signal }),
    );
    return collect(child);
  };
  const must = async (what: string, ...args: string[]): Promise<Child> => {
    const r = await cnitool(...args);
    if (ac.signal.aborted) throw new Error('interrupted');
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r;
  };

  const onSignal = () => {
    if (ac.signal.aborted) return;
    o.io.stderr('interrupted: cleaning up\n');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  o.signal?.addEventListener('abort', onSignal);
  try {
    // 1. Plugins and the network.
    const types = ['bridge', 'host-local', 'portmap', 'firewall', 'tuning', 'bandwidth'];
    const have = types.filter((t) => {
      try {
        findInPath(t, paths);
        return true;
      } catch {
        return false;
      }
    });
    step(`plugins from ${paths.join(delimiter)}${o.env.CNI_PATH ? ' (CNI_PATH)' : ''}`);
    if (!have.includes('bridge') || !have.includes('host-local')) {
      throw new Error(
        `the demo needs at least the bridge and host-local plugins, not found in ${paths.join(delimiter)}: build them (pnpm build) or set CNI_PATH`,
      );
    }
    const missing = types.filter((t) => !have.includes(t));
    // 2. The spec version: 1.1.0, or the highest every plugin supports (VERSION), as a
    // runtime may negotiate; e.g. the Go plugins 1.1.1 stop at 1.0.0.
    let s = performance.now();
    const probeCni = new CNIConfig({ path: paths, env: o.env });
    const probed = new Map<string, Promise<string[]>>();
    const probe = (type: string): Promise<string[]> => {
      let p = probed.get(type);
      if (!p) {
        p = probeCni.getVersionInfo(type).then((i) => i.supportedVersions);
        probed.set(type, p);
      }
      return p;
    };
    const supported = await Promise.all(have.map((t) => probe(t).catch(() => [] as string[])));
    const common = DEMO_VERSIONS.filter((v) => supported.every((vs) => vs.includes(v)));
    const version = common.at(-1) ?? DEMO_VERSIONS.at(-1) ?? '1.1.0';
    step(
      version === '1.1.0'
        ? `spec version 1.1.0: every plugin supports it (${ms(s)})`
        : `spec version ${version}: the highest every plugin supports (VERSION) (${ms(s)})`,
    );
    const conf = demoConfList(dataDir, have, version);
    const confFile = join(netDir, `10-${DEMO_NETWORK}.conflist`);
    writeFileSync(confFile, `${JSON.stringify(conf, null, 2)}\n`);
    const chain = (conf.plugins as { type: string }[]).map((p) => p.type).join(' → ');
    step(
      `network "${DEMO_NETWORK}" (embedded, cniVersion ${version}): ${chain}, ipam host-local ${DEMO_SUBNET}`,
    );
    if (missing.length > 0) step(`not found, left out of the chain: ${missing.join(', ')}`);

    // 3. validate, in process (the same code as `cnitool validate`).
    s = performance.now();
    const report = await validate(confFile, { netDir, paths, probe });
    if (!report.valid)
      throw new Error(`the embedded configuration does not validate:\n${formatReport(report)}`);
    const caps = report.capabilities.length ? `, capabilities ${report.capabilities.join(', ')}` : '';
    step(`validate: ${report.plugins.length} plugins found, all support ${version}${caps} (${ms(s)})`);

    // 3. Namespaces.
    s = performance.now();
    hostPath = createNamedNetNS(`cnidemo-host-${tag}`);
    contPath = createNamedNetNS(`cnidemo-cont-${tag}`);
    host = NetNS.open(hostPath);
    cont = NetNS.open(contPath);
    // A new namespace copies forwarding from the machine; be explicit (bridge's isGateway turns it on).
    sysctlSetIn(host, 'net.ipv4.ip_forward', '0');
    step(`namespaces: "host" ${hostPath}, "container" ${contPath} (${ms(s)})`);
    const containerID = containerIdFor(contPath);

    // 4. ADD.
    s = performance.now();
    added = true;
    const add = await must('cnitool add', 'add', DEMO_NETWORK, contPath);
    step(`cnitool add ${DEMO_NETWORK} ${contPath}: container ID ${containerID} (${ms(s)})`);
    o.io.stdout(`${add.stdout}\n`);
    const result = JSON.parse(add.stdout) as { ips?: { address: string; gateway?: string }[] };
    const first = result.ips?.[0];
    if (!first?.gateway) throw new Error('the result has no IP address with a gateway');
    const ip = first.address.split('/')[0] as string;
    const gw = first.gateway;
    const needles = [containerID, `${ip}/`, ` ${ip} `];
    const contLinksNow = linkNames(cont).filter((l) => l !== 'lo');
    const rulesNow = netfilterLines(host, needles).length;
    step(
      `container interfaces: ${contLinksNow.join(' ')} with ${first.address}; host firewall rules naming the container: ${rulesNow}`,
    );

    // 5. CHECK and STATUS.
    s = performance.now();
    await must('cnitool check', 'check', DEMO_NETWORK, contPath);
    step(`cnitool check: every plugin confirms the attachment (${ms(s)})`);
    s = performance.now();
    await must('cnitool status', 'status', DEMO_NETWORK, contPath);
    step(
      version === '1.1.0'
        ? `cnitool status: every plugin is ready (${ms(s)})`
        : `cnitool status: a ${version} list has no STATUS, libcni calls no plugin (${ms(s)})`,
    );

    // 6. Traffic.
    s = performance.now();
    servers.push(await listenIn(cont, DEMO_CONTAINER_PORT, `hello from the container (${ip})`));
    servers.push(await listenIn(host, GATEWAY_PORT, 'hello from the gateway'));
    const toGateway = await connectFrom(cont, gw, GATEWAY_PORT);
    if (!toGateway.ok) throw new Error(`container → gateway ${gw}:${GATEWAY_PORT}: ${toGateway.out}`);
    step(`container → gateway ${gw}:${GATEWAY_PORT}: "${toGateway.out}" (${ms(s)})`);
    if (have.includes('portmap')) {
      s = performance.now();
      const mapped = await connectFrom(host, gw, DEMO_HOST_PORT);
      if (!mapped.ok)
        throw new Error(
          `host → ${gw}:${DEMO_HOST_PORT} (mapped to ${ip}:${DEMO_CONTAINER_PORT}): ${mapped.out}`,
        );
      step(
        `host → ${gw}:${DEMO_HOST_PORT}, mapped to ${ip}:${DEMO_CONTAINER_PORT}: "${mapped.out}" (${ms(s)})`,
      );
    }
    for (const srv of servers.splice(0)) await new Promise((r) => srv.close(r));

    // 7. DEL (reverse order, with the cached result), then GC, then look for leftovers.
    s = performance.now();
    await must('cnitool del', 'del', DEMO_NETWORK, contPath);
    added = false;
    step(`cnitool del: plugins in reverse order, with the cached result (${ms(s)})`);
    s = performance.now();
    await must('cnitool gc', 'gc', DEMO_NETWORK, contPath);
    step(
      version === '1.1.0'
        ? `cnitool gc: no stale attachment left to collect, every plugin got GC (${ms(s)})`
        : `cnitool gc: no stale attachment left to collect (a ${version} list gets no GC) (${ms(s)})`,
    );

    const left: string[] = [];
    const contLinks = linkNames(cont).filter((l) => l !== 'lo');
    if (contLinks.length) left.push(`container links: ${contLinks.join(' ')}`);
    // The bridge stays (the bridge plugin never deletes it); anything else (veth, bandwidth's
    // ifb) must be gone.
    const hostLinks = linkNames(host).filter((l) => l !== 'lo' && l !== DEMO_BRIDGE);
    if (hostLinks.length) left.push(`host links: ${hostLinks.join(' ')}`);
    const ipamDir = join(dataDir, DEMO_NETWORK);
    const reserved = existsSync(ipamDir)
      ? readdirSync(ipamDir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip'))
      : [];
    if (reserved.length) left.push(`host-local reservations: ${reserved.join(' ')}`);
    const cached = existsSync(join(cacheDir, 'results')) ? readdirSync(join(cacheDir, 'results')) : [];
    if (cached.length) left.push(`cached results: ${cached.join(' ')}`);
    const rules = netfilterLines(host, needles);
    if (rules.length) left.push(`firewall rules: ${rules.join(' | ')}`);
    if (left.length) throw new Error(`left behind after DEL: ${left.join('; ')}`);
    step(
      `nothing left: no container interface, no host veth or ifb, no address reservation, no cached result, no rule (the bridge ${DEMO_BRIDGE} goes with the host namespace)`,
    );
  } catch (err) {
    failed = true;
    if (!ac.signal.aborted) o.io.stderr(`demo failed: ${(err as Error).message}\n`);
  } finally {
    for (const srv of servers) srv.close();
    // Everything the plugins made lives in the two namespaces and the temporary directory; a
    // DEL first still releases it the proper way (not after an interrupt: be quick then).
    if (added && host && contPath && !o.keep && !ac.signal.aborted) {
      // best effort, so that a failed demo does not leave IPAM files or rules in the namespace
      await cnitool('del', DEMO_NETWORK, contPath).catch(() => undefined);
    }
    host?.close();
    cont?.close();
    if (o.keep) {
      step(`--keep: namespaces ${hostPath ?? ''} ${contPath ?? ''} and ${work} left for inspection`);
    } else {
      if (contPath) removeNamedNetNS(contPath);
      if (hostPath) removeNamedNetNS(hostPath);
      rmSync(work, { recursive: true, force: true });
    }
    process.removeListener('SIGINT', onSignal);
    o.signal?.removeEventListener('abort', onSignal);
  }
  if (ac.signal.aborted) {
    step('demo interrupted; namespaces removed');
    return 130;
  }
  step(failed ? 'demo FAILED' : 'demo passed; namespaces removed');
  return failed ? 1 : 0;
}
