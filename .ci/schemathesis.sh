#!/usr/bin/env bash
# Schemathesis (property-based API testing, PyPI) against nrfcloud-sim, with both OpenAPI
# documents: openapi/nrfcloud-provisioning.json as committed (we write it), and the REST document
# as the build patches it (OUT_DIR/rest.patched.json: the raw reconstruction keeps tsoa's
# JavaScript regex literal for device ids, which no real id matches, and declares no error
# bodies; two generator-only union rewrites are undone for validation, see "REST document"
# below), each restricted to the operations the simulator's routers serve (read from
# crates/nrfcloud-sim/src/{rest,provisioning}/mod.rs). The simulator is seeded with one of each
# entity, whose ids (and valid claim tokens) schemathesis draws in most cases. Per document, two
# passes on one simulator: every operation but the DELETEs, then the DELETEs.
#
# Bounded: a fixed number of examples per operation and phase, a fixed seed, one worker,
# per-request and per-response time limits, and a wall-clock cap per pass. All four phases run
# (examples, coverage, fuzzing, stateful); every check runs except those in EXCLUDED, which are
# also printed at run time. No operation the simulator serves is left out.
#
# Exits non-zero on any failure. Tools go under .ci/.tools (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

SCHEMATHESIS_VERSION=4.32.5
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-20}"  # test cases per operation and phase
SEED="${SCHEMATHESIS_SEED:-20261202}"
SIM_SEED=7
PASS_TIME_LIMIT=120                      # seconds, per pass (a hang fails the run)
MAX_RESPONSE_TIME=3                      # seconds (check max_response_time); debug build
REQUEST_TIMEOUT=10                       # seconds

# Checks left out, one "document|scope|check|reason" per line. document: rest, provisioning or
# * (both); scope: * (every operation), operationIds, or a path (its every operation).
EXCLUDED=(
  # The documents give shapes, not the service's rules: a claim token must carry a signature the
  # cloud issued, a pageNextToken must be one the service handed out, CSV rows must parse, the
  # body of a raw upload must be UTF-8 CSV, an If-Match must be a version read from ETag, tags use
  # the device-tag character set, names are not empty. The service answers such schema-valid
  # requests 4xx, and so does the simulator. Stating these rules in the request schemas would
  # change the generated client's types; the facade checks what it sends itself.
  "*|*|positive_data_acceptance|schema-valid requests the service rejects by rules the documents do not state (signed claim tokens, issued page tokens, CSV contents, If-Match versions, tag characters, non-empty names)"
  # A text/csv body is text: a "schema-violating" value (a JSON number, object or array where
  # the schema says string) reaches the server as the same bytes as a valid string. The claim
  # endpoints read such a body as CSV and report each bad row in `failed` or in the bulk
  # operation's error summary, as documented. Their JSON form is not negatively tested either.
  "provisioning|ClaimDeviceOwnership,ClaimDeviceOwnershipIdentities,BulkClaimDeviceOwnership|negative_data_rejection|text/csv bodies: a non-string value arrives as ordinary CSV text, which the claim endpoints accept and report row by row"
  # The simulator serves a subset of the REST API: on /devices/{deviceId} it serves GET and
  # DELETE but not OnboardDevice (POST), so its 405 Allow header omits a method the document has.
  "rest|/devices/{deviceId}|allow_header_conformance|the simulator does not serve OnboardDevice (POST /devices/{deviceId}), so its Allow header lacks POST"
)

venv="$root/.ci/.tools/schemathesis-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
py="$venv/bin/python"
st="$venv/bin/schemathesis"

# The same build settings as .ci/run, so its artifacts are reused (callers may override them).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"

work="$(mktemp -d)"
sim_pid=""
cleanup() {
  if [ -n "${SCHEMATHESIS_KEEP:-}" ]; then  # a directory to keep the reports and configs in
    mkdir -p "$SCHEMATHESIS_KEEP" && cp -r "$work"/. "$SCHEMATHESIS_KEEP"/ || true
  fi
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# One build gives the simulator binary and nrfcloud-api's OUT_DIR (its build script writes the
# patched documents there).
cargo build --locked -p nrfcloud-sim -p nrfcloud-api --message-format=json-render-diagnostics \
  >"$work/cargo.json"
read -r sim_bin out_dir < <("$py" - "$work/cargo.json" <<'PY'
import json, sys
exe = out = None
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "nrfcloud-sim" and m.get("executable"):
        exe = m["executable"]
    if m.get("reason") == "build-script-executed" and "#nrfcloud-api@" in m["package_id"]:
        out = m["out_dir"]
if not (exe and out):
    sys.exit("cargo did not report the nrfcloud-sim binary and nrfcloud-api's OUT_DIR")
print(exe, out)
PY
)
[ -n "${out_dir:-}" ] || exit 1
rest_doc="$out_dir/rest.patched.json"
prov_doc="$root/openapi/nrfcloud-provisioning.json"

# Free ports on 127.0.0.1 (--port 0); the simulator prints its hosts, API key, team id and
# Organization Auth Token, organization and project as NAME=value (seven lines).
"$sim_bin" serve --port 0 --seed "$SIM_SEED" >"$work/sim.env" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do
  if [ "$(wc -l <"$work/sim.env")" -ge 7 ]; then break; fi
  if ! kill -0 "$sim_pid" 2>/dev/null; then cat "$work/sim.log" >&2; echo "nrfcloud-sim exited" >&2; exit 1; fi
  sleep 0.1
done
if [ "$(wc -l <"$work/sim.env")" -lt 7 ]; then cat "$work/sim.log" >&2; echo "nrfcloud-sim printed no hosts" >&2; exit 1; fi
set -a
# shellcheck disable=SC1091
. "$work/sim.env"
set +a
"$sim_bin" tokens --count 13 --seed "$SIM_SEED" --out "$work/tokens.csv"
printf '%s\n' "${EXCLUDED[@]}" >"$work/excluded.txt"

# Waits until the simulator answers, seeds one of each entity (so the operations on
# `{deviceId}`, `{commandId}`, `{tagId}`, `{ruleId}` and `{bulkOpsRequestId}` reach their logic,
# not only 404), lists the operations the routers serve, and writes the schemathesis config.
"$py" - "$root" "$work" "$rest_doc" "$prov_doc" <<'PY'
import json, os, re, sys, time, urllib.error, urllib.request

root, work, rest_doc, prov_doc = sys.argv[1:5]
rest, prov, key = (os.environ[k] for k in ("NRFCLOUD_API_HOST", "NRFCLOUD_PROVISIONING_HOST", "NRFCLOUD_API_KEY"))


def call(method, url, body=None, ctype="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": ctype}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=10) as r:
        text = r.read()
        return json.loads(text) if text else None


for attempt in range(100):
    try:
        call("GET", f"{rest}/v1/account")
        call("GET", f"{prov}/v1/claimed-devices")
        break
    except (OSError, urllib.error.URLError):
        time.sleep(0.1)
else:
    sys.exit("nrfcloud-sim does not answer")

# Seed data. Device A and its first command, tag 1 and rule 1 are read and updated; device B,
# A's second command, tag 2 and rule 2 are the ones the DELETE operations get.
tokens = [line.split(",")[0] for line in open(f"{work}/tokens.csv").read().split()]
p = f"{prov}/v1"
dev_a = call("POST", f"{p}/claimed-devices", {"claimToken": tokens[0]})["id"]
dev_b = call("POST", f"{p}/claimed-devices", {"claimToken": tokens[1]})["id"]
key_gen = {"request": {"cloudAccessKeyGeneration": {"secTag": 16842753}}}  # also onboards into REST
cmd_a = call("POST", f"{p}/claimed-devices/{dev_a}/provisioning", key_gen)["id"]
cmd_b = call("POST", f"{p}/claimed-devices/{dev_b}/provisioning", key_gen)["id"]
cmd_a2 = call("POST", f"{p}/claimed-devices/{dev_a}/provisioning", {"request": {"finished": {}}})["id"]
tag_1 = call("POST", f"{p}/claimed-devices/tags", {"tag": "schemathesis-1"})["id"]
tag_2 = call("POST", f"{p}/claimed-devices/tags", {"tag": "schemathesis-2"})["id"]
rule = {"commands": [], "tags": []}
rule_1 = call("POST", f"{p}/provisioning-rules", {"name": "schemathesis-1", **rule})["id"]
rule_2 = call("POST", f"{p}/provisioning-rules", {"name": "schemathesis-2", **rule})["id"]
bulk = call("POST", f"{p}/claimed-devices/bulk", f"{tokens[2]}\n".encode(), "text/csv")["bulkOpsRequestId"]
for _ in range(200):
    states = [call("GET", f"{p}/claimed-devices/{d}/provisioning/{c}")["status"] for d, c in ((dev_a, cmd_a), (dev_b, cmd_b))]
    if all(s not in ("PENDING", "IN_PROGRESS") for s in states):
        break
    time.sleep(0.05)
else:
    sys.exit(f"the seeding commands did not finish: {states}")
for device in (dev_a, dev_b):
    call("GET", f"{rest}/v1/devices/{device}")  # onboarded by cloudAccessKeyGeneration

import io, zipfile
def bundle_zip(version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("manifest.json", json.dumps({"fwversion": version, "files": [{"file": "app.bin", "type": "application", "size": 5}]}))
        z.writestr("app.bin", b"image")
    return buf.getvalue()
call("POST", f"{rest}/v1/firmwares", bundle_zip("1.0.0"), "application/zip")
call("POST", f"{rest}/v1/firmwares", bundle_zip("2.0.0"), "application/zip")
bundles = {b["version"]: b["bundleId"] for b in call("GET", f"{rest}/v1/firmwares")["items"]}
bundle_1, bundle_2 = bundles["1.0.0"], bundles["2.0.0"]
job_a = call("POST", f"{rest}/v1/fota-jobs", {"bundleId": bundle_1, "deviceIds": [dev_a]})["jobId"]
job_b = call("POST", f"{rest}/v1/fota-jobs", {"bundleId": bundle_1, "deviceIds": [dev_a, dev_b], "autoApply": False})["jobId"]
job_c = call("POST", f"{rest}/v1/fota-jobs", {"bundleId": bundle_1, "deviceIds": [dev_b], "autoApply": False})["jobId"]
call("POST", f"{rest}/v1/devices/{dev_a}/messages", {"message": {"appId": "TEMP", "data": "1"}})
print("seeded FOTA:", bundle_1, bundle_2, job_a, job_b, job_c)

# Location Services take no API key: the operations the document secures with the "Service
# Evaluation Token" get the team's evaluation token instead (configured per operation below).
# Two fixes recorded for device A give location history to list and to delete.
eval_token = call("POST", f"{rest}/v1/account/service-evaluation-token")["token"]
def eval_call(path, body):
    headers = {"Authorization": f"Bearer {eval_token}", "Content-Type": "application/json", "x-custom-device-id": dev_a}
    req = urllib.request.Request(f"{rest}/v1{path}", json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())
aps = [{"macAddress": "40:01:7a:c9:10:22"}, {"macAddress": "40:01:7a:c9:10:23"}]
eval_call("/location/ground-fix", {"wifi": aps})
eval_call("/location/ground-fix", {"lte": [{"mcc": 242, "mnc": 1, "eci": 33703712, "tac": 2305}]})
fixes = [i["id"] for i in call("GET", f"{rest}/v1/location/history?deviceId={dev_a}")["items"]]
print("seeded location history:", fixes)

# The operations the simulator serves: the routes of its routers, matched with each document.
def routes(module):
    text = open(f"{root}/crates/nrfcloud-sim/src/{module}/mod.rs").read()
    served = set()
    for path, handlers in re.findall(r'\.route\(\s*"([^"]+)",(.*?)\)\s*(?=\.route\(|$|\n\})', text, re.S):
        if path.startswith("/v1/"):
            # The OAT form of Location Services (/v1/organizations/{org}/projects/{project}/
            # location/...) is newer than the document; its routes share the handlers of the
            # documented /v1/location/... ones, which are the ones tested.
            path = re.sub(r"^/v1/organizations/\{[^}]*\}/projects/\{[^}]*\}/location/", "/v1/location/", path)
            for method in re.findall(r"\b(get|put|post|delete|patch|head)\(", handlers):
                served.add((method, path[len("/v1"):]))
    return served

def operations(doc, module):
    paths = json.load(open(doc))["paths"]
    shape = lambda path: re.sub(r"\{[^}]*\}", "{}", path)  # parameter names may differ
    documented = {(m, shape(p)): op["operationId"] for p, item in paths.items() for m, op in item.items()
                  if isinstance(op, dict) and "operationId" in op}
    served = {(m, shape(p)) for m, p in routes(module)}
    missing = sorted(served - set(documented))
    if missing:
        sys.exit(f"{module}: the simulator serves routes {doc} does not document: {missing}")
    return sorted((m, documented[(m, q)]) for m, q in served)

# The REST document schemathesis sees: the build's patched copy, with two effects of
# generator-only patches undone, because under JSON Schema they reject answers the service
# document accepts. `anyof-rewrite` turns tsoa's overlapping anyOf unions into oneOf (typify's
# untagged enums, tried in order), and a device then matches both GenericDevice and the `{}` of a
# JSONata result: "valid under more than one of the schemas listed in oneOf". The raw document
# has no oneOf at all, so every oneOf goes back to anyOf. `open-response-unions` adds an
# accept-anything `Unrecognized` member to response unions, for the client's tolerance; it is
# dropped so the simulator's answers must match a member the service documents.
def undo_generator_unions(v, counts):
    if isinstance(v, dict):
        if "oneOf" in v:
            v["anyOf"] = v.pop("oneOf")
            counts["oneOf"] += 1
        for key in ("anyOf", "oneOf"):
            if key in v:
                kept = [m for m in v[key] if m != {"$ref": "#/components/schemas/Unrecognized"}]
                counts["Unrecognized"] += len(v[key]) - len(kept)
                v[key] = kept
        for child in v.values():
            undo_generator_unions(child, counts)
    elif isinstance(v, list):
        for child in v:
            undo_generator_unions(child, counts)

rest_view = json.load(open(rest_doc))
counts = {"oneOf": 0, "Unrecognized": 0}
undo_generator_unions(rest_view, counts)
json.dump(rest_view, open(f"{work}/rest.json", "w"), indent=2)
print(f"REST document: {rest_doc} with {counts['oneOf']} oneOf back to anyOf and "
      f"{counts['Unrecognized']} Unrecognized catch-all members dropped (generator-only patches "
      f"anyof-rewrite and open-response-unions; see .ci/schemathesis.sh)")

rest_ops = operations(rest_doc, "rest")
prov_ops = operations(prov_doc, "provisioning")
for name, ops in (("rest", rest_ops), ("provisioning", prov_ops)):
    for pass_, keep in (("writes", lambda m: m != "delete"), ("deletes", lambda m: m == "delete")):
        with open(f"{work}/{name}.{pass_}.ops", "w") as f:
            f.write("".join(f"{op}\n" for m, op in ops if keep(m)))


def toml(v):
    return json.dumps(v)  # a JSON string, or list of strings, is valid TOML


configs = {"rest": "", "provisioning": ""}


def ids(doc, operations, probability=0.8, **bindings):
    """Known values for the parameters of `operations` (`path_deviceId=[...]` binds
    `path.deviceId`), each drawn in `probability` of the cases; the other cases keep generated
    values, so unknown ids and their 404s are still tested. One entry per operation set: the
    `parameters` of two entries matching one operation are not merged."""
    params = []
    for binding, values in bindings.items():
        name = f"{doc}-{len(configs[doc])}-{binding}"
        configs[doc] += f"[dictionaries.{name}]\nvalues = {toml(values)}\n\n"
        params.append(f'"{binding.replace("_", ".", 1)}" = {{ dictionary = "{name}", probability = {probability} }}')
    configs[doc] += (f"[[operations]]\ninclude-operation-id = {toml(operations)}\n"
                     f"parameters = {{ {', '.join(params)} }}\n\n")


ids("provisioning", ["FetchClaimedDevice", "BlockClaimedDevice", "UnblockClaimedDevice", "UpdateClaimedDeviceTags",
    "ListDeviceProvisioningCommands", "CreateDeviceProvisioningCommand"], path_deviceId=[dev_a])
ids("provisioning", ["FetchDeviceProvisioningCommand"], path_deviceId=[dev_a], path_commandId=[cmd_a])
ids("provisioning", ["DeleteDeviceProvisioningCommand"], path_deviceId=[dev_a], path_commandId=[cmd_a2])
ids("provisioning", ["UnclaimDevice"], path_deviceId=[dev_b])
ids("provisioning", ["FetchProvisioningTag", "UpdateProvisioningTag"], path_tagId=[tag_1])
ids("provisioning", ["DeleteProvisioningTag"], path_tagId=[tag_2])
ids("provisioning", ["FetchProvisioningRule", "UpdateProvisioningRule"], path_ruleId=[rule_1])
ids("provisioning", ["DeleteProvisioningRule"], path_ruleId=[rule_2])
# Valid claim tokens (and unknown ones in the other half of the cases), so that JSON claims
# succeed and their 201 answers are checked too.
ids("provisioning", ["ClaimDeviceOwnership", "ClaimDeviceOwnershipIdentities"], 0.5, body_claimToken=tokens[3:])
ids("rest", ["FetchDevice", "UpdateDeviceName", "UpdateDeviceTags", "UpdateDeviceState"], path_deviceId=[dev_a])
ids("rest", ["DeleteDevice"], path_deviceId=[dev_b])
ids("rest", ["FetchBulkOpsRequest"], path_bulkOpsRequestId=[bulk])
ids("rest", ["FetchFOTAJob", "ApplyFOTAJob", "CancelFOTAJob", "ListFOTAJobExecutionStatuses"], path_jobId=[job_a, job_b])
ids("rest", ["FetchFOTAJobExecution", "UpdateFOTAJobExecutionStatus"], path_deviceId=[dev_a], path_jobId=[job_a, job_b])
ids("rest", ["ListFOTAJobExecutionsForDevice", "FetchCurrentPendingFOTAJobExecution", "SendDeviceMessage"], path_deviceId=[dev_a])
ids("rest", ["ListMessages"], query_deviceId=[dev_a])
ids("rest", ["CreateFOTAJob"], 0.5, body_bundleId=[bundle_1])
ids("rest", ["DeleteFOTAJob"], path_jobId=[job_c])
ids("rest", ["DeleteFirmware"], path_bundleId=[bundle_2])
ids("rest", ["GetLocationHistory"], query_deviceId=[dev_a])
ids("rest", ["DeleteLocationHistory"], path_deviceId=[dev_a], path_id=fixes)

# The credential of each operation whose document security has no API key ("Simple Token"):
# the evaluation token, as an operation-level header that overrides the command line's API key.
rest_security = {op["operationId"]: op.get("security", []) for item in json.load(open(rest_doc))["paths"].values()
                 for op in item.values() if isinstance(op, dict) and "operationId" in op}
eval_ops = sorted(op for _, op in rest_ops
                  if rest_security[op] and not any("Simple Token" in s for s in rest_security[op])
                  and any("Service Evaluation Token" in s for s in rest_security[op]))
print("operations sent the evaluation token:", ", ".join(eval_ops))
configs["rest"] += (f"[[operations]]\ninclude-operation-id = {toml(eval_ops)}\n"
                    f"headers = {{ Authorization = {toml('Bearer ' + eval_token)} }}\n\n")

for line in open(f"{work}/excluded.txt").read().splitlines():
    doc, scope, check, reason = line.split("|", 3)
    for name in configs if doc == "*" else [doc]:
        if scope == "*":
            configs[name] = f"[checks.{check}]\nenabled = false\n\n" + configs[name]
        else:
            selector = "include-path" if scope.startswith("/") else "include-operation-id"
            configs[name] += f"[[operations]]\n{selector} = {toml(scope.split(','))}\nchecks.{check}.enabled = false\n\n"
for name, text in configs.items():
    open(f"{work}/{name}.toml", "w").write(text)
PY

echo "schemathesis $SCHEMATHESIS_VERSION: $EXAMPLES examples per operation and phase, seed $SEED, simulator seed $SIM_SEED"
echo "excluded checks (document | operations | check | reason):"
for line in "${EXCLUDED[@]}"; do echo "  $line" | sed 's/|/ | /g'; done

failed=0
run_doc() {  # name, document, base URL
  local name=$1 doc=$2 url=$3
  echo
  echo "=== $name: $doc against $url ($(cat "$work/$name".*.ops | wc -l) operations the simulator serves)"
  # Two passes over the same simulator: every method but DELETE, then DELETE alone, so that the
  # deletes (which may draw the seeded ids from what earlier answers returned) come last.
  local pass rc=0 status
  for pass in writes deletes; do
    local ops=()
    while read -r id; do ops+=(--include-operation-id "$id"); done <"$work/$name.$pass.ops"
    status=0
    # No --checks: every check is on by default, and a --checks on the command line would
    # override the exclusions in the config file.
    (cd "$work" && timeout --kill-after=10 "$PASS_TIME_LIMIT" \
      "$st" --config-file "$work/$name.toml" run "$doc" \
        --url "$url" \
        --header "Authorization: Bearer $NRFCLOUD_API_KEY" \
        "${ops[@]}" \
        --phases examples,coverage,fuzzing,stateful \
        --max-examples "$EXAMPLES" \
        --seed "$SEED" \
        --workers 1 \
        --generation-database none \
        --max-response-time "$MAX_RESPONSE_TIME" \
        --request-timeout "$REQUEST_TIMEOUT" \
        --continue-on-failure \
        --no-color \
        --report json,ndjson --report-dir "$work/$name-report-$pass") || status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
      echo "$name ($pass): schemathesis did not finish within ${PASS_TIME_LIMIT}s" >&2
    fi
    [ "$status" -eq 0 ] || rc=$status
  done
  "$py" - "$name" "$work/$name-report" "$rc" <<'PY' || failed=1
import collections, glob, json, sys

name, report_dir, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
reports = [json.load(open(p)) for p in sorted(glob.glob(f"{report_dir}-*/*.json"))]
if len(reports) != 2:
    print(f"schemathesis {name}: {len(reports)} of 2 reports (exit code {rc})")
    sys.exit(1)
runs, failures = collections.Counter(), collections.Counter()
for path in glob.glob(f"{report_dir}-*/*.ndjson"):
    for line in open(path):
        event = json.loads(line)
        recorder = event.get("ScenarioFinished", {}).get("recorder") or {}
        for results in recorder.get("checks", {}).values():
            for check in results:
                runs[check["name"]] += 1
                if check["status"] == "failure":
                    failures[check["name"]] += 1
tested = sum(r["operations"]["tested"] for r in reports)
selected = sum(r["operations"]["selected"] for r in reports)
found = sum(f["count"] for r in reports for f in r["failures"]) + sum(len(r["errors"]) for r in reports)
cases = sum(r["test_cases"]["generated"] for r in reports)
failing = ", ".join(f"{k} {v}" for k, v in sorted(failures.items()))
print(f"schemathesis {name}: {tested}/{selected} operations tested, {cases} test cases, "
      f"{len(runs)} checks evaluated {sum(runs.values())} times ({', '.join(sorted(runs))}), "
      f"{found} failures{f' ({failing})' if failing else ''}")
sys.exit(0 if rc == 0 and found == 0 else 1)
PY
}

run_doc provisioning "$prov_doc" "$NRFCLOUD_PROVISIONING_HOST/v1"
run_doc rest "$work/rest.json" "$NRFCLOUD_API_HOST/v1"

if [ "$failed" -ne 0 ]; then
  echo "schemathesis: failures found (see above)" >&2
  exit 1
fi
echo "schemathesis: both documents passed"
