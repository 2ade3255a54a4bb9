#!/usr/bin/env bash
# The User-Mode Linux test lane: boots ONE UML kernel with the host's filesystem as root, loads
# the modules this machine's kernel lacks (8021q, ipvlan, vrf, dummy, bridge VLAN filtering, …),
# and runs the repository's *.uml.test.ts files inside it with vitest (verbose reporter).
#
#   scripts/uml/run.sh                      every *.uml.test.ts under packages/, tooling/, tests/
#   scripts/uml/run.sh <file|dir> …         those files / the *.uml.test.ts under those dirs
#   scripts/uml/run.sh [files] -- <arg>…    extra vitest arguments, e.g. -- -t "vlan" (test names)
#
# Exit code: vitest's, or 1 when the guest fails to boot, a module is missing, or no exit code
# came back. See scripts/uml/README.md for the environment variables.
set -uo pipefail

t_start=$(date +%s.%N)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)

say() { echo "uml-lane: $*"; }
fail() {
  say "FAILED: $*" >&2
  exit 1
}
usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# ── arguments ──────────────────────────────────────────────────────────────────────────────
includes=()
filters=()
while (($#)); do
  case $1 in
  -h | --help)
    usage
    exit 0
    ;;
  --)
    shift
    filters+=("$@")
    break
    ;;
  -*) fail "unknown option '$1' (vitest arguments go after --)" ;;
  *)
    p=$1
    [[ -e $p ]] || p=$repo/$1
    [[ -e $p ]] || fail "no such file or directory: '$1'"
    abs=$(realpath -e -- "$p") || fail "cannot resolve '$1'"
    case $abs/ in
    "$repo"/*) ;;
    *) fail "'$1' is outside the repository $repo" ;;
    esac
    rel=${abs#"$repo"}
    rel=${rel#/}
    if [[ -d $abs ]]; then
      includes+=("${rel:+$rel/}**/*.uml.test.ts")
    else
      includes+=("$rel")
    fi
    ;;
  esac
  shift
done

# ── prerequisites ──────────────────────────────────────────────────────────────────────────
kernel=${CNI_UML_KERNEL:-$(command -v linux.uml || true)}
[[ -n $kernel && -x $kernel ]] || fail "no User-Mode Linux kernel (install the Debian package user-mode-linux, or set CNI_UML_KERNEL)"
command -v modprobe >/dev/null || fail "modprobe not found (install the Debian package kmod)"
node=$(command -v node) || fail "node not found on PATH"
[[ -f $repo/node_modules/vitest/vitest.mjs ]] || fail "vitest is not installed in $repo/node_modules (run pnpm install)"
[[ $(id -u) == 0 ]] || fail "run as root: the guest mounts and the tests make network namespaces"
case $repo in *[[:space:]]*) fail "the repository path must not contain white space: '$repo'" ;; esac

modules=${CNI_UML_MODULES:-8021q ipvlan vrf dummy veth bridge macvlan}
mem=${CNI_UML_MEM:-1G}
boot_timeout=${CNI_UML_TIMEOUT:-1800}
[[ $boot_timeout =~ ^[1-9][0-9]*$ ]] || fail "CNI_UML_TIMEOUT must be whole seconds, got '$boot_timeout'"
[[ ${CNI_UML_TEST_TIMEOUT:-1} =~ ^[0-9]+$ ]] ||
  fail "CNI_UML_TEST_TIMEOUT must be milliseconds, got '${CNI_UML_TEST_TIMEOUT}'"
[[ $mem =~ ^[1-9][0-9]*[KMG]?$ ]] || fail "CNI_UML_MEM must be a size like 1G or 768M, got '$mem'"
[[ $modules =~ ^[A-Za-z0-9_-]+([[:space:]]+[A-Za-z0-9_-]+)*$ ]] ||
  fail "CNI_UML_MODULES must be module names separated by spaces, got '$modules'"

# A private work dir on the host: the guest's env, its exit code, logs and results.
work=$(mktemp -d "${TMPDIR:-/tmp}/cni-uml.XXXXXX") || fail "mktemp"
case $work in *[[:space:],]*) fail "the work dir path must not contain white space or commas: '$work'" ;; esac
uml_pid=
cleanup() {
  if [[ -n $uml_pid ]] && kill -0 "$uml_pid" 2>/dev/null; then
    kill -TERM "$uml_pid" 2>/dev/null
    sleep 2
    kill -KILL "$uml_pid" 2>/dev/null
  fi
  [[ -n ${CNI_UML_KEEP:-} ]] && say "work dir kept: $work" >&2 && return
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'say "interrupted" >&2; exit 130' INT TERM

color_tty=0
[[ -t 1 ]] && color_tty=1
{
  printf 'export PATH=%q\n' "$(dirname "$node"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  printf 'CNI_UML_REPO_HOST=%q\n' "$repo"
  printf 'CNI_UML_MODULES=%q\n' "$modules"
  # Extra vitest arguments: per-test timeout, then the filters given after --.
  printf 'CNI_UML_VITEST_ARGS=('
  if [[ -n ${CNI_UML_TEST_TIMEOUT:-} ]]; then
    printf -- '--testTimeout=%q --hookTimeout=%q ' "$CNI_UML_TEST_TIMEOUT" "$CNI_UML_TEST_TIMEOUT"
  fi
  for f in "${filters[@]}"; do printf '%q ' "$f"; done
  printf ')\n'
  if ((${#includes[@]})); then
    printf 'export CNI_UML_INCLUDE=%q\n' "$(node -e 'console.log(JSON.stringify(process.argv.slice(1)))' "${includes[@]}")"
  fi
  [[ -n ${CI:-} ]] && printf 'export CI=%q\n' "$CI"
  # Colours only when the host's stdout is a terminal (or FORCE_COLOR says so); never in CI logs.
  if [[ -z ${NO_COLOR:-} && (-n ${FORCE_COLOR:-} || $color_tty == 1) ]]; then
    printf 'export FORCE_COLOR=%q\n' "${FORCE_COLOR:-1}"
  else
    printf 'export NO_COLOR=1\n'
  fi
} >"$work/env"

say "booting $kernel (mem=$mem) with $repo; modules: $modules"
# con0 → our stdout (the guest's console: init's messages and vitest's output); every other
# console is off. The UML process's own stderr (host-side chatter) goes to a log shown on failure.
# sed drops the console's carriage returns, unbuffered.
timeout --kill-after=10 "$boot_timeout" "$kernel" mem="$mem" rootfstype=hostfs rootflags=/ ro loglevel=1 \
  init="$here/init.sh" con=null con0=fd:0,fd:1 \
  CNI_UML_WORK="$work" \
  </dev/null 2>"$work/uml.stderr" | sed -u 's/\r$//' &
uml_pid=$(jobs -p %1)
wait %1
uml_rc=$?
uml_pid=
t_end=$(date +%s.%N)

if [[ ! -s $work/rc ]]; then
  if ((uml_rc == 124)); then
    say "FAILED: timed out after $boot_timeout s (raise CNI_UML_TIMEOUT); the guest was stopped" >&2
    exit 1
  fi
  say "FAILED: the guest ended (status $uml_rc) without reporting an exit code: it failed to boot or crashed" >&2
  if [[ -s $work/uml.stderr ]]; then
    say "UML's stderr (last 40 lines):" >&2
    tail -n 40 "$work/uml.stderr" >&2
  fi
  exit 1
fi
rc=$(<"$work/rc")
[[ $rc =~ ^[0-9]+$ ]] || fail "bad exit code from the guest: '$rc'"

if [[ -n ${CNI_UML_RESULTS:-} ]]; then
  if [[ -s $work/results.json ]]; then
    # The guest saw the repository at /run/cni-uml/repo: report the host's paths.
    node -e '
      const fs = require("node:fs");
      const [src, dst, repo] = process.argv.slice(1);
      const fix = (v) => typeof v === "string" ? v.split("/run/cni-uml/repo").join(repo)
        : Array.isArray(v) ? v.map(fix)
        : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fix(x)]))
        : v;
      fs.writeFileSync(dst, JSON.stringify(fix(JSON.parse(fs.readFileSync(src, "utf8")))));
    ' "$work/results.json" "$CNI_UML_RESULTS" "$repo" || fail "write results to $CNI_UML_RESULTS"
  else
    say "no vitest JSON results were written" >&2
  fi
fi

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
read_t() { [[ -s $work/$1 ]] && cat "$work/$1" || echo "$t_end"; }
t_init=$(read_t t-init)
t_ready=$(read_t t-ready)
t_done=$(read_t t-done)
say "timing: boot $(secs "$t_start" "$t_init") s, guest setup $(secs "$t_init" "$t_ready") s," \
  "tests $(secs "$t_ready" "$t_done") s, total $(secs "$t_start" "$t_end") s"
say "exit code $rc"
exit "$rc"
