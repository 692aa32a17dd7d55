#!/usr/bin/env bash
# The CLI as users get it: `cargo install` into a temporary root, then `nrfcloud --version` and a
# CSV claim against `nrfcloud sim`, all from the installed binary.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(mktemp -d)"
trap 'kill "${sim:-}" 2>/dev/null || true; rm -rf "$root"' EXIT
# --debug and the workspace's target directory: the compiled dependencies are reused.
CARGO_TARGET_DIR="$PWD/target" cargo install --quiet --locked --debug --path crates/nrfcloud-cli --root "$root"
bin="$root/bin/nrfcloud"
"$bin" --version
"$bin" sim --port 0 --tokens 2000 --tokens-out "$root/tokens.csv" >"$root/env" 2>/dev/null &
sim=$!
for _ in $(seq 100); do [ "$(wc -l <"$root/env")" -ge 4 ] && break; sleep 0.1; done
# shellcheck disable=SC1091
. "$root/env"
summary="$("$bin" claim --csv "$root/tokens.csv" --journal "$root/claim.journal")"
echo "$summary"
expected="bulk claim: 2000 rows, 2000 claimed, 0 already claimed, 0 failed, 0 invalid, 0 unconfirmed, 0 not submitted"
[ "$summary" = "$expected" ] || { echo "unexpected summary; wanted: $expected" >&2; exit 1; }
echo "cli-install: nrfcloud installed, ran, and claimed 2000 devices from the simulator"
