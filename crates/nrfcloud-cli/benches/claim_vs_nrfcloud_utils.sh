#!/usr/bin/env bash
# Bulk claim, side by side: `nrfcloud claim --csv attestation_tokens.csv` (ours) against
# `claim_devices` of Nordic's nrfcloud-utils (PyPI), both claiming the same ROWS tokens
# (default 100,000) on a local nrfcloud-sim, once per delay in DELAYS (default "0 300": ms
# added by the simulator to every request). Each tool gets a fresh simulator (same seed, so an
# empty team that accepts the same tokens) per delay. Prints, per delay, both tools' wall
# seconds, the ratio theirs / ours, and how many devices each claimed, as counted on the
# simulator afterwards (`nrfcloud claimed list --quiet | wc -l`) next to what the tool said.
#
# Usage: crates/nrfcloud-cli/benches/claim_vs_nrfcloud_utils.sh      (from any directory)
# Environment:
#   NRFCLOUD_BIN      our CLI          [default: <repo>/target/debug/nrfcloud]
#   NRFCLOUD_SIM_BIN  the simulator    [default: <repo>/target/debug/nrfcloud-sim]
#   ROWS              tokens to claim  [default: 100000]
#   DELAYS            delays in ms     [default: "0 300"]
#   CONCURRENCY       our --concurrency, the most in flight [default: 32, the CLI's default; adaptive within it]
#   BENCH_TOOLS       where the nrfcloud-utils venv lives [default: <repo>/.ci/.tools, git-ignored]
#   KEEP_WORK=1       keep the scratch directory (/tmp/bench-claim.XXXXXX) with the logs
#                     (kept anyway when the script fails)
# Everything listens on and talks to 127.0.0.1 only; the only other network use is PyPI, once,
# to create the venv. Exits non-zero if a tool fails to claim every row.
#
# What nrfcloud-utils 3.3.1 does (read from its installed source, site-packages/nrfcloud_utils/):
# * Command: console script `claim_devices` = `nrfcloud_utils.claim_devices:run` (also
#   `nrfcloud-utils claim_devices`). Flags: `--csv FILE` [default attestation_tokens.csv],
#   `--api-key KEY` (required; on the command line), `--provisioning-tags "a,b"`, `--stage`
#   (dev|beta|feature, "for internal (Nordic) use only"), `--log-level` [default info, which logs
#   every row with its full token], `-P/--plain` (no colours). It exits 0 whatever happened, and
#   ends with the log line "Done. <claimed> of <rows> devices claimed." (level WARNING).
# * Input: it reads attestation_tokens.csv with csv.reader and takes `imei, uuid, token,
#   timestamp = row[:4]` (a shorter row raises ValueError). That is the layout
#   gather_attestation_tokens writes: `f'{imei},{uuid},{token},{iso-8601 UTC timestamp}\n'`,
#   unquoted. Only column 3 is sent. We write the simulator's tokens there, with the IMEI and
#   device id each token names (our CLI checks that column 2 is the token's device).
# * Requests: rows `"token"` (plus `"tag1,tag2"` with --provisioning-tags) written by
#   csv.writer(QUOTE_ALL, '\n'), in sequential batches of MAX_CSV_ROWS = 1000, each one
#   `requests.post(f'{api_url}claimed-devices', data=csv_str, headers=...)` with no timeout and a
#   new connection per call; headers are Authorization: Bearer, User-Agent, and one literally
#   named `contentType: text/csv` (no real Content-Type: requests adds none for a str body). It
#   counts `claimedIds` of 200/201 answers and logs any other status as
#   "--> Error <status> on <n> rows" (level ERROR). The simulator sniffs a body without a JSON
#   or CSV Content-Type (as the live service presumably does), so these requests are accepted.
# * Host: nrf_cloud_diap builds `api_url = API_URL_START + DEV_STAGE_DICT[stage] + API_URL_END`
#   ('https://api.provisioning' + '.' + 'nrfcloud.com/v1/'), and claim_devices.main() rebuilds it
#   with set_dev_stage(args.stage) before any request. There is no host/URL flag and no
#   environment variable: `--stage` only picks among Nordic's hosts. So we run its unmodified
#   main() through `python -c`, after overriding those three module constants so that the
#   stage '' yields "$NRFCLOUD_PROVISIONING_HOST/v1/" (it logs that URL at start). Everything
#   else is the package's own code path; Python start-up and imports are inside the timing, as
#   they are for the console script.
# * Logging: claim_devices runs with `--log-level warning --plain` (errors and the "Done." line
#   still show), and our CLI with its default output; both tools' output goes to log files.
#   At the default level `info` claim_devices would also log each of the ROWS tokens.
set -euo pipefail

NRFCLOUD_UTILS_VERSION=3.3.1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

NRFCLOUD_BIN="${NRFCLOUD_BIN:-$root/target/debug/nrfcloud}"
NRFCLOUD_SIM_BIN="${NRFCLOUD_SIM_BIN:-$root/target/debug/nrfcloud-sim}"
ROWS="${ROWS:-100000}"
DELAYS="${DELAYS:-0 300}"
CONCURRENCY="${CONCURRENCY:-32}"
BENCH_TOOLS="${BENCH_TOOLS:-$root/.ci/.tools}"
SEED=0

for bin in "$NRFCLOUD_BIN" "$NRFCLOUD_SIM_BIN"; do
  [[ -x "$bin" ]] || { echo "not an executable: $bin (build it, or set NRFCLOUD_BIN / NRFCLOUD_SIM_BIN)" >&2; exit 2; }
done
NRFCLOUD_BIN="$(cd "$(dirname "$NRFCLOUD_BIN")" && pwd)/$(basename "$NRFCLOUD_BIN")"
NRFCLOUD_SIM_BIN="$(cd "$(dirname "$NRFCLOUD_SIM_BIN")" && pwd)/$(basename "$NRFCLOUD_SIM_BIN")"

work="$(mktemp -d /tmp/bench-claim.XXXXXX)"
sim_pid=""

stop_sim() {
  if [[ -n "$sim_pid" ]]; then
    kill -INT "$sim_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=""
  fi
}
cleanup() {
  local rc=$?
  stop_sim
  if [[ "${KEEP_WORK:-}" == 1 || "$rc" != 0 ]]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- nrfcloud-utils, pinned, in its own venv -------------------------------------------------
venv="$BENCH_TOOLS/nrfcloud-utils-venv"
py="$venv/bin/python"
installed() { "$py" -c 'import importlib.metadata as m; print(m.version("nrfcloud-utils"))' 2>/dev/null; }
if [[ "$(installed || true)" != "$NRFCLOUD_UTILS_VERSION" ]]; then
  echo "installing nrfcloud-utils $NRFCLOUD_UTILS_VERSION into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$BENCH_TOOLS"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "nrfcloud-utils==$NRFCLOUD_UTILS_VERSION"
fi

# --- input: ROWS simulator tokens, as nrfcloud-utils' attestation_tokens.csv ----------------
"$NRFCLOUD_SIM_BIN" tokens --count "$ROWS" --seed "$SEED" --out "$work/tokens.csv"
"$py" - "$work/tokens.csv" "$work/attestation_tokens.csv" <<'EOF'
import base64, json, sys
# The simulator's token is base64url(JSON {"id", "imei", ...}) "." signature: take the
# device's IMEI and id from it, as gather_attestation_tokens would read them from the modem.
stamp = "2026-01-01T00:00:00.000000+00:00"
n = 0
with open(sys.argv[1]) as src, open(sys.argv[2], "w", newline="\n") as out:
    for line in src:
        token = line.strip().split(",")[0]
        if not token:
            continue
        first = token.split(".")[0]
        facts = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
        out.write(f"{facts['imei']},{facts['id']},{token},{stamp}\n")
        n += 1
print(f"{n} rows in attestation_tokens.csv", file=sys.stderr)
EOF
cd "$work"   # claim_devices' default --csv is ./attestation_tokens.csv; we pass it anyway

# --- helpers ---------------------------------------------------------------------------------
# start_sim DELAY_MS NAME: a fresh simulator; exports its NRFCLOUD_* variables.
start_sim() {
  local delay="$1" name="$2" out="$work/sim-$2.out" args=(serve --port 0 --seed "$SEED")
  [[ "$delay" -gt 0 ]] && args+=(--delay-ms "$delay")
  "$NRFCLOUD_SIM_BIN" "${args[@]}" >"$out" 2>"$work/sim-$name.err" &
  sim_pid=$!
  for _ in $(seq 200); do
    grep -q '^NRFCLOUD_TEAM_ID=' "$out" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim-$name.err" >&2; echo "simulator exited" >&2; exit 1; }
    sleep 0.05
  done
  grep -q '^NRFCLOUD_TEAM_ID=' "$out" || { echo "simulator printed no hosts" >&2; exit 1; }
  set -a
  # shellcheck disable=SC1090
  . <(grep -E '^NRFCLOUD_(API_HOST|PROVISIONING_HOST|API_KEY|TEAM_ID)=http://127\.0\.0\.1:[0-9]+$|^NRFCLOUD_(API_KEY|TEAM_ID)=[A-Za-z0-9-]+$' "$out")
  set +a
}

# claimed_on_sim: the number of claimed devices on the running simulator. The added delay is
# cleared first (PUT /__sim/faults {}, a simulator-only route that is never delayed), so that
# paging through ROWS devices is not slowed by it; the timed run is over by then.
claimed_on_sim() {
  "$py" - "$NRFCLOUD_API_HOST/__sim/faults" <<'EOF'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=b"{}", method="PUT",
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()
EOF
  "$NRFCLOUD_BIN" claimed list --quiet | wc -l | tr -d ' '
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Our CLI sees only the simulator's variables: no config file, no profile.
export NRFCLOUD_CONFIG="$work/no-config.toml"
unset NRFCLOUD_PROFILE

run_ours() {   # DELAY -> sets ours_s, ours_report, ours_count, ours_rc
  local delay="$1" log="$work/nrfcloud-$1ms.log" t0 t1
  start_sim "$delay" "nrfcloud-$delay"
  t0=$(now)
  ours_rc=0
  "$NRFCLOUD_BIN" claim --csv "$work/attestation_tokens.csv" --concurrency "$CONCURRENCY" >"$log" 2>&1 || ours_rc=$?
  t1=$(now)
  ours_s=$(elapsed "$t0" "$t1")
  # "bulk claim: N rows, N claimed, 0 already claimed, 0 failed, ..."
  ours_report=$(grep -oE '[0-9]+ claimed' "$log" | head -1 | cut -d' ' -f1 || true)
  ours_count=$(claimed_on_sim)
  stop_sim
}

run_theirs() {   # DELAY -> sets theirs_s, theirs_report, theirs_count, theirs_errors
  local delay="$1" log="$work/claim_devices-$1ms.log" t0 t1
  start_sim "$delay" "claim_devices-$delay"
  t0=$(now)
  "$py" -c '
import os, sys
from nrfcloud_utils import nrf_cloud_diap, claim_devices
# No host flag or env var exists; make stage "" resolve to the simulator (see the header).
nrf_cloud_diap.API_URL_START = os.environ["NRFCLOUD_PROVISIONING_HOST"] + "/"
nrf_cloud_diap.DEV_STAGE_DICT[""] = ""
nrf_cloud_diap.API_URL_END = "v1/"
sys.argv[0] = "claim_devices"
claim_devices.run()
' --csv "$work/attestation_tokens.csv" --api-key "$NRFCLOUD_API_KEY" --plain --log-level warning \
    >"$log" 2>&1 || true   # it exits 0 regardless; judged by the count below
  t1=$(now)
  theirs_s=$(elapsed "$t0" "$t1")
  grep -q "Provisioning API URL: $NRFCLOUD_PROVISIONING_HOST/v1/" "$log" \
    || { echo "claim_devices did not target the simulator:" >&2; cat "$log" >&2; exit 1; }
  # "Done. N of M devices claimed."
  theirs_report=$(sed -nE 's/.*Done\. ([0-9]+) of [0-9]+ devices claimed\..*/\1/p' "$log" | head -1)
  # "--> Error <status> on <n> rows:" per refused batch
  theirs_errors=$(grep -oE -- '--> Error [0-9]+' "$log" | awk '{print $3}' | sort | uniq -c \
    | awk '{printf "%s%sx HTTP %s", sep, $1, $2; sep=", "}' || true)
  theirs_count=$(claimed_on_sim)
  stop_sim
}

# --- the runs --------------------------------------------------------------------------------
echo "bulk claim of $ROWS tokens: nrfcloud ($NRFCLOUD_BIN, --concurrency $CONCURRENCY) vs" \
  "claim_devices (nrfcloud-utils $NRFCLOUD_UTILS_VERSION, sequential batches of 1000)"
status=0
results=()
for delay in $DELAYS; do
  run_ours "$delay"
  run_theirs "$delay"
  ratio=$(awk -v a="$theirs_s" -v b="$ours_s" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }')
  line="delay $delay ms: nrfcloud $ours_s s, claim_devices $theirs_s s, ratio ${ratio}x"
  line+=" (nrfcloud claimed $ours_count, claim_devices claimed $theirs_count)"
  echo "$line"
  results+=("$line")
  note="  reported by the tools: nrfcloud ${ours_report:-?} claimed (exit $ours_rc), claim_devices ${theirs_report:-?} claimed"
  [[ -n "$theirs_errors" ]] && note+="; claim_devices refused batches: $theirs_errors"
  echo "$note"
  for who in "nrfcloud:$ours_count" "claim_devices:$theirs_count"; do
    if [[ "${who#*:}" != "$ROWS" ]]; then
      echo "  !! ${who%%:*} claimed ${who#*:} of $ROWS (logs: $work)"
      status=1
    fi
  done
  [[ "$ours_rc" == 0 ]] || status=1
done
exit "$status"
