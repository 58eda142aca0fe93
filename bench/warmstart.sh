#!/usr/bin/env bash
# Warm start: how fast a freshly started process serves. Each round starts the embedded default (one process, SQLite)
# from the build output (JIT) and from a ReadyToRun publish, alternated, loads it with send-code from the moment it
# reports ready, and reports the throughput of each second against the steady rate (seconds 20-30 of the same run).
# VARIANTS picks what to compare: jit, r2r (the ReadyToRun publish), and either with -tc0 (tiered compilation off:
# DOTNET_TieredCompilation=0), -nopgo (DOTNET_TieredPGO=0) or -ccd0 (no call-counting delay:
# DOTNET_TC_CallCountingDelayMs=0) appended. Loopback only; bounded in time.
# Usage: [VARIANTS="jit r2r"] bench/warmstart.sh [rounds = 3] [concurrency = 16]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
CONCURRENCY=${2:-16}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p bench/results
RESULTS="bench/results/warmstart-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
WORK=$(mktemp -d /tmp/qrm-warm.XXXXXX)
. bench/common.sh
echo "== publish ReadyToRun (linux-x64)"
dotnet publish src/Gateway -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$WORK/r2r" -nologo -clp:ErrorsOnly
bench_settings
echo "{\"machine\": \"$(nproc) cores\", \"commit\": \"$(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')\", \"rounds\": $ROUNDS, \"concurrency\": $CONCURRENCY}" | tee -a "$RESULTS"

VARIANTS=${VARIANTS:-jit r2r}
measure() { # variant round
  local variant=$1 round=$2 dll=$GATEWAY_DLL port silo_port tiering=()
  case "$variant" in r2r*) dll="$WORK/r2r/QrMahalla.Gateway.dll" ;; esac
  case "$variant" in
    *-tc0) tiering=(DOTNET_TieredCompilation=0) ;;
    *-nopgo) tiering=(DOTNET_TieredPGO=0) ;;
    *-ccd0) tiering=(DOTNET_TC_CallCountingDelayMs=0) ;;
  esac
  port=$(free_port); silo_port=$(free_port)
  rm -f "$WORK"/warm.db*
  env "${tiering[@]}" Storage__ConnectionString="Data Source=$WORK/warm.db" Urls="http://127.0.0.1:$port" Cluster__SiloPort="$silo_port" \
    Cluster__PrimarySiloPort="$silo_port" Cluster__GatewayPort="$(free_port)" dotnet "$dll" > "$WORK/$variant-$round.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  local started; started=$(date +%s.%N)
  wait_ready "http://127.0.0.1:$port" >/dev/null
  local ready; ready=$(date +%s.%N)
  $DRIVER --label "warm/$variant/$round" --workload send --concurrency "$CONCURRENCY" --duration 30 --target "http://127.0.0.1:$port" \
    --phone-offset $((round * 1000000)) --trace "$WORK/trace-$variant-$round.txt" --out "$WORK/runs.jsonl" >/dev/null
  kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  python3 - "$WORK/trace-$variant-$round.txt" "$variant" "$round" "$(echo "$ready - $started" | bc)" <<'PY' | tee -a "$RESULTS"
import json, sys
path, variant, rnd, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
per_second = [0] * 30
for line in open(path):
    t, ok, _ = line.split()
    if ok == "1" and float(t) < 30:
        per_second[int(float(t))] += 1
steady = sum(per_second[20:30]) / 10
first5 = sum(per_second[0:5]) / 5
reach = next((s for s in range(30) if per_second[s] >= 0.9 * steady), None)
print(json.dumps({"label": f"warm/{variant}/{rnd}", "start_to_ready_s": round(ready, 2), "steady_per_second": steady,
                  "first_5s_over_steady": round(first5 / steady, 2), "first_second_at_90pct": reach,
                  "per_second": per_second}))
PY
}
REVERSED=$(echo "$VARIANTS" | tr ' ' '\n' | tac | tr '\n' ' ')
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order=$VARIANTS; else order=$REVERSED; fi
  for variant in $order; do measure "$variant" "$round"; done
done
echo "== done: $RESULTS"
python3 - "$RESULTS" $VARIANTS <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip() and '"warm/' in l]
for variant in sys.argv[2:]:
    mine = [r for r in rows if r["label"].startswith(f"warm/{variant}/")]
    print(f"{variant}: steady {statistics.median(r['steady_per_second'] for r in mine):.0f}/s, first 5 s ÷ steady {statistics.median(r['first_5s_over_steady'] for r in mine):.2f} (median of {len(mine)}), "
          f"start to ready {statistics.median(r['start_to_ready_s'] for r in mine):.1f} s, 90 % of steady reached in second "
          f"{[r['first_second_at_90pct'] for r in mine]}")
PY
