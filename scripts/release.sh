#!/usr/bin/env bash
# scripts/release.sh <version> [--out DIR] [--only os-arch,…]
# Builds every package and writes release-v<version>/ with per-platform tarballs and their
# .sha256/.sha512 checksums. See docs/release.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $# -ge 1 ]] || { echo "usage: scripts/release.sh <version> [--out DIR] [--only os-arch,…]" >&2; exit 2; }
pnpm turbo run build --output-logs=errors-only >/dev/null
node scripts/release.mjs "$@"
