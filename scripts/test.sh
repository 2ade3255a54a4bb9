#!/usr/bin/env bash
# The whole test suite, as CI runs it (needs root: kernel tests make network namespaces).
#   build → lint → typecheck → unit + kernel tests → User-Mode Linux lane → package checks
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CNI_TS_REPO=$PWD
unset NODE_EXTRA_CA_CERTS  # adds ~45 ms to every Node start; runtimes do not pass it to plugins

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
failed_steps=()
step() {
  local name=$1
  shift
  local t0=$SECONDS
  echo "── $name"
  if "$@"; then
    echo "── $name: ok ($((SECONDS - t0)) s)"
  else
    echo "── $name: FAILED ($((SECONDS - t0)) s)"
    failed_steps+=("$name")
  fi
}

step build pnpm build
step lint pnpm biome check .
step typecheck bash -c 'pnpm turbo run typecheck --output-logs=errors-only && pnpm tsc --noEmit -p .'
step tests pnpm vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json"
if [[ -x scripts/uml/run.sh ]]; then
  step uml-lane env CNI_UML_RESULTS="$results/uml.json" scripts/uml/run.sh
fi
step changesets node scripts/check-changesets.mjs
step check-pkg pnpm turbo run check:pkg --output-logs=errors-only

passed=0
failed=0
skipped=0
for f in "$results"/vitest.json "$results"/uml.json; do
  [[ -s $f ]] || continue
  read -r p fl s < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(r.numPassedTests, r.numFailedTests, (r.numPendingTests || 0) + (r.numTodoTests || 0));
  ' "$f")
  passed=$((passed + p))
  failed=$((failed + fl))
  skipped=$((skipped + s))
done
# A failed step that is not a test (build, lint, typecheck, package checks) counts as a failure too.
for s in "${failed_steps[@]}"; do
  case $s in
    tests) [[ -s $results/vitest.json ]] || failed=$((failed + 1)) ;;
    uml-lane) [[ -s $results/uml.json ]] || failed=$((failed + 1)) ;;
    *) failed=$((failed + 1)) ;;
  esac
done
if ((${#failed_steps[@]})); then
  echo "failed steps: ${failed_steps[*]}"
fi
echo "$passed passed, $failed failed"
((${#failed_steps[@]} == 0 && failed == 0))
