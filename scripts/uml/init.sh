#!/bin/bash
# PID 1 of the User-Mode Linux guest booted by scripts/uml/run.sh. Not meant to be run by hand.
#
# The kernel boots with the host's filesystem as root (hostfs, mounted read-only): a write there
# would land in the host's files, as root. So stage 1 builds a private root and leaves the host's
# one behind:
#   overlay (lower: the host's /; upper: guest tmpfs)
#   + tmpfs on /run, /tmp, /dev/shm; proc, sysfs, devtmpfs, devpts
#   + the host's work dir (CNI_UML_WORK, from the kernel command line), mounted writable on its
#     own at /run/cni-uml/work: the ONLY place where the guest writes to the host (exit code,
#     results, logs)
#   + the repository (its overlay view) bound at /run/cni-uml/repo,
# then pivot_root into it and detach the old root. Stage 2 loads the modules and runs vitest.
# The lane's exit code leaves through <work>/rc; no rc file means failure.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
set -u

say() { echo "uml-lane: $*"; }

OUT=${CNI_UML_WORK:-}
finish() {
  local rc=$1
  if [[ -n $OUT && -d $OUT ]]; then
    dmesg >"$OUT/dmesg.log" 2>&1
    echo "$rc" >"$OUT/rc.tmp" && mv -f "$OUT/rc.tmp" "$OUT/rc"
  else
    say "cannot report exit code $rc: no work dir"
  fi
  sync
  halt -f
  exit "$rc" # not reached; if it were, ending PID 1 stops the kernel too
}
die() {
  say "FAILED: $*"
  dmesg 2>/dev/null | tail -n 20 | sed 's/^/uml-lane: dmesg: /'
  finish 1
}
now() { date +%s.%N; }

stage1() {
  local host_work=$OUT repo_host kver new stage=/dev/.cni-uml
  # The host's root is mounted read-only (run.sh boots with `ro`): until the work dir is mounted,
  # nothing here can write to the host at all. (`mount -n`: no userspace mount table to update.)
  [[ -n $host_work && -d $host_work ]] || die "CNI_UML_WORK is not a directory: '${host_work}'"
  OUT=
  mount -n -t proc proc /proc || die "mount /proc"
  mount -n -t sysfs sysfs /sys || die "mount /sys"
  # devtmpfs is on /dev (CONFIG_DEVTMPFS_MOUNT) and belongs to the guest: stage there.
  grep -q ' /dev devtmpfs ' /proc/mounts || mount -n -t devtmpfs devtmpfs /dev || die "mount /dev"
  mkdir -p "$stage" && mount -n -t tmpfs -o mode=0700 cni-uml "$stage" || die "mount $stage"
  mkdir -p "$stage/upper" "$stage/ovlwork" "$stage/root" "$stage/modroot/lib/modules" "$stage/work"
  # The work dir: a second, writable hostfs mount of just that host directory.
  mount -n -t hostfs -o "$host_work" cni-uml-work "$stage/work" || die "mount the work dir $host_work"
  OUT=$stage/work
  now >"$OUT/t-init"
  # shellcheck disable=SC1091
  source "$OUT/env" || die "read $OUT/env"
  repo_host=${CNI_UML_REPO_HOST:?}
  kver=$(uname -r)
  [[ -d /usr/lib/uml/modules/$kver ]] || die "no modules for the UML kernel $kver in /usr/lib/uml/modules"
  ln -s "/usr/lib/uml/modules/$kver" "$stage/modroot/lib/modules/$kver"
  grep -qw overlay /proc/filesystems || modprobe -d "$stage/modroot" overlay || die "modprobe overlay"

  new=$stage/root
  mount -n -t overlay -o "lowerdir=/,upperdir=$stage/upper,workdir=$stage/ovlwork" cni-uml-root "$new" ||
    die "mount the overlay root"
  mount -n -t proc proc "$new/proc" || die "mount new /proc"
  mount -n -t sysfs sysfs "$new/sys" || die "mount new /sys"
  mount -n -t devtmpfs devtmpfs "$new/dev" || die "mount new /dev"
  mount -n -t tmpfs -o mode=0755 run "$new/run" || die "mount /run"
  mkdir -p "$new/run/cni-uml/work" "$new/run/cni-uml/repo" "$new/dev/shm" "$new/dev/pts"
  mount -n --move "$OUT" "$new/run/cni-uml/work" || die "move the work dir"
  OUT=$new/run/cni-uml/work
  # Bind the repository before /tmp is covered: it may live under the host's /tmp (CI clones).
  mount -n --bind "$new$repo_host" "$new/run/cni-uml/repo" || die "bind the repository $repo_host"
  mount -n -t tmpfs -o mode=1777 tmp "$new/tmp" || die "mount /tmp"
  mount -n -t tmpfs -o mode=1777 shm "$new/dev/shm" || die "mount /dev/shm"
  mount -n -t devpts -o newinstance,ptmxmode=0666 devpts "$new/dev/pts" || die "mount /dev/pts"

  mkdir -p "$new/.cni-uml-oldroot"
  cd "$new" || die "cd $new"
  pivot_root . .cni-uml-oldroot || die "pivot_root"
  exec chroot . /bin/bash /run/cni-uml/repo/scripts/uml/init.sh --stage2
}

stage2() {
  OUT=/run/cni-uml/work
  local repo=/run/cni-uml/repo kver
  umount -l /.cni-uml-oldroot || die "detach the host's root"
  rmdir /.cni-uml-oldroot
  # shellcheck disable=SC1091
  source "$OUT/env" || die "read $OUT/env"
  # /var/run is a symlink to /run on Debian; if it is a directory, cover it with /run.
  if [[ ! -L /var/run ]]; then mount --bind /run /var/run || die "bind /var/run"; fi
  # As systemd hosts do: shared propagation, so netns bind mounts under /run/netns propagate to
  # mount namespaces made later (`ip netns exec`, runtimes).
  mount --make-rshared / || die "make / rshared"

  # Modules: /lib/modules/<UML version> exists only in the private root, so both modprobe and
  # the kernel's on-demand loading (rtnl-link-*, nft-*, …) find the UML kernel's modules.
  kver=$(uname -r)
  mkdir -p /lib/modules && ln -sfn "/usr/lib/uml/modules/$kver" "/lib/modules/$kver" || die "link modules"
  # shellcheck disable=SC2086 # a list of module names
  modprobe -a ${CNI_UML_MODULES:?} || die "modprobe of: ${CNI_UML_MODULES} (kernel $kver)"
  for m in ${CNI_UML_MODULES}; do
    # Each module is loaded now, or built into the UML kernel.
    [[ -d /sys/module/${m//-/_} ]] || grep -q "/${m}.ko\$" "/lib/modules/$kver/modules.builtin" ||
      die "module $m is not loaded"
  done
  ip link set lo up || die "loopback up"
  hostname cni-uml
  now >"$OUT/t-ready"
  say "kernel $kver, private root, modules: ${CNI_UML_MODULES}"

  export HOME=/tmp/home TMPDIR=/tmp CNI_TS_REPO=$repo
  mkdir -p "$HOME"
  cd "$repo" || die "cd $repo"
  [[ -f node_modules/vitest/vitest.mjs ]] || die "vitest is not installed in the repository (run pnpm install)"

  # A pipe, not the console, as vitest's stdout: plain line output, copied to the host's stdout
  # (the console) and to <work>/vitest.log.
  set -o pipefail
  node node_modules/vitest/vitest.mjs run \
    --config scripts/uml/vitest.config.ts \
    --reporter=verbose --reporter=json --outputFile.json="$OUT/results.json" \
    "${CNI_UML_VITEST_ARGS[@]}" 2>&1 </dev/null | tee "$OUT/vitest.log"
  local rc=$?
  now >"$OUT/t-done"
  finish "$rc"
}

if [[ ${1:-} == --stage2 ]]; then stage2; else stage1; fi
