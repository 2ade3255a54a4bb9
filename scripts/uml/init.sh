#!/bin/bash
# PID 1 of the User-Mode Linux guest booted by scripts/uml/run.sh. Not meant to be run by hand.
#
# The guest's root is the host's filesystem (hostfs): every write to it lands in a host file.
# So before anything runs, private tmpfs go over /run, /tmp, /dev/shm and /lib/modules, and the
# host's work dir (CNI_UML_WORK, from the kernel command line) and the repository are bind-mounted
# under /run/cni-uml. The lane's exit code leaves through <work>/rc; no rc file means failure.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
set -u

now() { date +%s.%N; }
say() { echo "uml-lane: $*"; }

finish() {
  local rc=$1
  if [[ -d $OUT ]]; then
    echo "$rc" >"$OUT/rc.tmp" && mv -f "$OUT/rc.tmp" "$OUT/rc"
  else
    say "cannot report exit code $rc: no work dir"
  fi
  [[ -d $OUT ]] && dmesg >"$OUT/dmesg.log" 2>&1
  sync
  halt -f
  # halt -f does not return; if it does, make the kernel stop by ending PID 1.
  exit "$rc"
}
die() {
  say "FAILED: $*"
  dmesg 2>/dev/null | tail -n 20 | sed 's/^/uml-lane: dmesg: /'
  finish 1
}

OUT=${CNI_UML_WORK:-}
[[ -n $OUT && -d $OUT ]] || die "CNI_UML_WORK is not a directory: '${OUT}'"
now >"$OUT/t-init"

mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys || die "mount /sys"
# devtmpfs is mounted on /dev by the kernel (CONFIG_DEVTMPFS_MOUNT); make sure.
grep -q ' /dev devtmpfs ' /proc/mounts || mount -t devtmpfs devtmpfs /dev || die "mount /dev"

# Stage the host dirs on the guest-private /dev before /run and /tmp are covered (the work dir
# and the repository may well live under the host's /tmp).
# shellcheck disable=SC1091
source "$OUT/env" || die "read $OUT/env"
REPO_HOST=${CNI_UML_REPO_HOST:?}
mkdir -p /dev/.cni-uml/work /dev/.cni-uml/repo || die "mkdir /dev/.cni-uml"
mount --bind "$OUT" /dev/.cni-uml/work || die "bind $OUT"
mount --bind "$REPO_HOST" /dev/.cni-uml/repo || die "bind $REPO_HOST"

mount -t tmpfs -o mode=0755 run /run || die "mount /run"
mount -t tmpfs -o mode=1777 tmp /tmp || die "mount /tmp"
mkdir -p /run/cni-uml/work /run/cni-uml/repo /dev/shm /dev/pts
mount --move /dev/.cni-uml/work /run/cni-uml/work || die "move work dir"
mount --move /dev/.cni-uml/repo /run/cni-uml/repo || die "move repo"
rmdir /dev/.cni-uml/work /dev/.cni-uml/repo /dev/.cni-uml
OUT=/run/cni-uml/work
REPO=/run/cni-uml/repo
mount -t tmpfs -o mode=1777 shm /dev/shm || die "mount /dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts || die "mount /dev/pts"
# /var/run is a symlink to /run on Debian; if it is a directory, cover it with /run.
if [[ ! -L /var/run ]]; then mount --bind /run /var/run || die "bind /var/run"; fi
# As systemd hosts do: shared propagation, so netns bind mounts under /run/netns propagate to
# mount namespaces made later (`ip netns exec`, runtimes).
mount --make-rshared / || die "make / rshared"

# Modules: the host has no /lib/modules/<UML version> (and the guest must not create one on the
# host's disk), so a private module root under /run points at the UML kernel's modules, and the
# kernel's on-demand loader (kernel.modprobe: rtnl-link-*, nft-*, …) uses it too.
KVER=$(uname -r)
[[ -d /usr/lib/uml/modules/$KVER ]] || die "no modules for the UML kernel $KVER in /usr/lib/uml/modules"
MODROOT=/run/cni-uml/modroot
mkdir -p "$MODROOT/lib/modules"
ln -s "/usr/lib/uml/modules/$KVER" "$MODROOT/lib/modules/$KVER"
MODPROBE=$(command -v modprobe) || die "modprobe not found"
printf '#!/bin/sh\nexec %s -d %s "$@"\n' "$MODPROBE" "$MODROOT" >/run/cni-uml/modprobe
chmod 0755 /run/cni-uml/modprobe
echo /run/cni-uml/modprobe >/proc/sys/kernel/modprobe || die "set kernel.modprobe"
# shellcheck disable=SC2086 # a list of module names
modprobe -d "$MODROOT" -a ${CNI_UML_MODULES:?} || die "modprobe of: ${CNI_UML_MODULES} (kernel $KVER)"
for m in ${CNI_UML_MODULES}; do
  # Belt and braces: each module is loaded now, or built into the UML kernel.
  [[ -d /sys/module/${m//-/_} ]] || grep -q "/${m}.ko\$" "$MODROOT/lib/modules/$KVER/modules.builtin" ||
    die "module $m is not loaded"
done
ip link set lo up || die "loopback up"
hostname cni-uml
now >"$OUT/t-ready"
say "kernel $KVER, modules: ${CNI_UML_MODULES}"

export HOME=/tmp/home TMPDIR=/tmp CNI_TS_REPO=$REPO
mkdir -p "$HOME"
cd "$REPO" || die "cd $REPO"
[[ -f node_modules/vitest/vitest.mjs ]] || die "vitest is not installed in $REPO_HOST/node_modules (run pnpm install)"

# A pipe, not the console, as vitest's stdout: plain line output, copied to the host's stdout
# (the console) and to <work>/vitest.log.
set -o pipefail
node node_modules/vitest/vitest.mjs run \
  --config scripts/uml/vitest.config.ts \
  --reporter=verbose --reporter=json --outputFile.json="$OUT/results.json" \
  "${CNI_UML_VITEST_ARGS[@]}" 2>&1 </dev/null | tee "$OUT/vitest.log"
rc=$?
now >"$OUT/t-done"
finish "$rc"
