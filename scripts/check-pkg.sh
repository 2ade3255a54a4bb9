#!/usr/bin/env bash
# Run in a package directory: pack it as npm would, then publint --strict and attw on the tarball.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pnpm pack --pack-destination "$tmp" >/dev/null
tgz=$(ls "$tmp"/*.tgz)
"$root/node_modules/.bin/publint" run --strict "$tgz"
# attw: ESM-only packages are fine for Node 20.19+ (require(esm)); judge the node16 ESM and bundler views.
"$root/node_modules/.bin/attw" "$tgz" --profile esm-only --format ascii
