#!/usr/bin/env bash
# Before/after: the cluster's send-code and login throughput on a baseline commit (A) and on the working tree (B),
# interleaved A B B A ... on one PostgreSQL in one run, next to the database's upsert ceiling measured in the same
# run, so the change reads as ratios and machine drift falls on both sides. Loopback only; bounded in time.
# Usage: bench/ab.sh <baseline git ref> [seconds per measurement = 15] [rounds = 3] [concurrency = 16]
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_REF=${1:?usage: bench/ab.sh <baseline git ref> [seconds] [rounds] [concurrency]}
SECONDS_PER_RUN=${2:-15}
ROUNDS=${3:-3}
CONCURRENCY=${4:-16}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p bench/results
RESULTS="bench/results/ab-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
WORK=$(mktemp -d /tmp/qrm-ab.XXXXXX)
. bench/common.sh

echo "== build the baseline ($BASE_REF, Release)"
mkdir -p "$WORK/base"
git archive "$BASE_REF" | tar -x -C "$WORK/base"
dotnet build "$WORK/base/src/Silo" -c Release -nologo -clp:ErrorsOnly
dotnet build "$WORK/base/src/Gateway" -c Release -nologo -clp:ErrorsOnly
A_SILO="$WORK/base/src/Silo/bin/Release/net10.0/QrMahalla.Silo.dll"
A_GATEWAY="$WORK/base/src/Gateway/bin/Release/net10.0/QrMahalla.Gateway.dll"
echo "{\"machine\": \"$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB\", \"baseline\": \"$(git rev-parse --short "$BASE_REF")\", \"after\": \"$(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')\", \"seconds_per_run\": $SECONDS_PER_RUN, \"rounds\": $ROUNDS, \"concurrency\": $CONCURRENCY}" | tee -a "$RESULTS"

bench_settings
qrm_start_postgres
pg_upsert_ceiling ab/ceiling-upsert

OFFSET=0
measure() { # variant round silo-dll gateway-dll
  local variant=$1 round=$2
  start_cluster "ab_${variant}_$round" 2 "$3" "$4"
  local pids; pids=$(IFS=,; echo "${CLUSTER_PIDS[*]}")
  # A short warm-up (JIT, connection pools) that is not measured.
  OFFSET=$((OFFSET + 1000000))
  $DRIVER --label "ab/$variant/warmup" --workload send --concurrency "$CONCURRENCY" --duration 3 --target "$T" --phone-offset $OFFSET --out "$WORK/warmup.jsonl" >/dev/null
  OFFSET=$((OFFSET + 1000000))
  $DRIVER --label "ab/$variant/send/$round" --workload send --concurrency "$CONCURRENCY" --duration "$SECONDS_PER_RUN" --target "$T" --phone-offset $OFFSET --out "$RESULTS" --pids "$pids"
  OFFSET=$((OFFSET + 1000000))
  $DRIVER --label "ab/$variant/login/$round" --workload login --concurrency "$CONCURRENCY" --duration "$SECONDS_PER_RUN" --target "$T" --phone-offset $OFFSET --outbox "$WORK/sms-outbox.jsonl" --out "$RESULTS" --pids "$pids"
  stop_cluster
}

for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for variant in $order; do
    echo "== round $round: $variant"
    if [ "$variant" = A ]; then measure A "$round" "$A_SILO" "$A_GATEWAY"; else measure B "$round" "$SILO_DLL" "$GATEWAY_DLL"; fi
  done
done

echo "== done: $RESULTS"
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ceiling = next(r["per_second"] for r in rows if r.get("label") == "ab/ceiling-upsert")
def runs(variant, workload):
    return [r["per_second"] for r in rows if r.get("label", "").startswith(f"ab/{variant}/{workload}/")]
summary = {"label": "ab/summary", "ceiling_upsert_per_second": ceiling}
for workload, writes in (("send", 1), ("login", 3)):
    a, b = runs("A", workload), runs("B", workload)
    ma, mb = statistics.median(a), statistics.median(b)
    summary[workload] = {"A": a, "B": b, "median_A": ma, "median_B": mb, "B_over_A": round(mb / ma, 3),
                         "A_ratio_to_ceiling": round(ma / (ceiling / writes), 3), "B_ratio_to_ceiling": round(mb / (ceiling / writes), 3)}
print(json.dumps(summary, indent=2))
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(summary) + "\n")
PY
