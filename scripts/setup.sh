#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine (run as root): the Debian packages the tests and
# the demo need, pnpm, the workspace's dependencies, and a build (dist/cni/bin).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PNPM_VERSION=10.34.9
# iproute2/iptables/nftables: tests look at kernel state with them; libnftables1: the nftables
# backend runs in process; dnsmasq-base: the DHCP server for dhcp tests; user-mode-linux + kmod:
# the kernel lane for vlan/ipvlan/vrf/dummy; containernetworking-plugins: the Go reference, for
# side-by-side tests; dbus + firewalld: the firewall plugin's firewalld backend; qemu-user-static and
# binutils-aarch64-linux-gnu + the arm64 C runtime: strip the arm64 standalone build and run it under
# qemu for its VERSION check; gcc + libc6-dev: cni_sys.node, the plugins' addon for their libc calls;
# gcc-aarch64-linux-gnu + libc6-dev-arm64-cross: the same addon in the arm64 slim tarball; strace: a
# release test sees which native module the arm64 plugin opens under qemu.
DEBS=(iproute2 iptables nftables libnftables1 dnsmasq-base user-mode-linux kmod containernetworking-plugins dbus firewalld
  qemu-user-static binutils-aarch64-linux-gnu libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross strace python3 util-linux time gcc libc6-dev)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d: never start services (firewalld) on this machine while installing.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

# The ifb driver creates ifb0 and ifb1 in the machine's own namespace when it is first loaded
# (numifbs=2), which a bandwidth test in a throwaway namespace would trigger. Load it first with
# none, so the tests never add links to this machine.
if [[ ! -d /sys/module/ifb ]]; then modprobe ifb numifbs=0 2>/dev/null || true; fi

if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1
fi

pnpm install --frozen-lockfile --reporter=silent
log=$(mktemp)
if ! pnpm build >"$log" 2>&1; then cat "$log"; echo "setup: build failed" >&2; exit 1; fi
rm -f "$log"
echo "setup: done (dist/cni/bin ready)"
