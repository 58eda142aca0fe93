#!/usr/bin/env bash
# The one test command: restore, build once, run every test project, and close with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "dotnet SDK 10 is required on PATH" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# A real PostgreSQL for the storage and clustering tests: QRM_TEST_POSTGRES may name an existing server; otherwise
# one is started in a temp folder on 127.0.0.1 (installed when missing) and stopped when this script ends.
. tools/postgres.sh
trap qrm_stop_postgres EXIT
if [ -z "${QRM_TEST_POSTGRES:-}" ]; then
  if qrm_start_postgres -c fsync=off -c synchronous_commit=off -c max_connections=1000; then
    export QRM_TEST_POSTGRES="$QRM_PG_CONNECTION"
  else
    echo "PostgreSQL could not be started; the tests that need it will fail"
  fi
fi

# Debian's Chromium for the admin page's browser tests (Playwright drives it; it never downloads a browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  echo "Chromium is missing; installing it with apt-get"
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); then
    echo "Chromium could not be installed; the browser tests will fail"
  fi
fi

# The Kubernetes manifests are validated offline against the API schema (npm's kubernetes-models, pinned); the
# packages install while the solution builds.
if [ ! -d deploy/kubernetes/validate/node_modules ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing; installing it with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null) || echo "npm could not be installed; the manifest test will fail"
  fi
  (npm ci --prefix deploy/kubernetes/validate --no-audit --no-fund --loglevel=error >/dev/null || echo "npm ci failed; the manifest test will fail") &
fi

# -graph: MSBuild schedules the projects from their reference graph up front, so two compile at once where they can
# (a fresh build: 65 s against 67-77 s on this 2-core machine).
if ! dotnet build QrMahalla.Orleans.sln -graph -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
wait # npm ci

passed=0
failed=0
status=0
results=$(mktemp -d)
# Every temp folder the tests make (process logs, secrets files, Chromium's profile) lands in one folder for the run:
# removed when every test passed, kept and named when one failed.
run_tmp=$(mktemp -d /tmp/qrm-test-run.XXXXXX)
chmod 755 "$run_tmp" # the durable PostgreSQL of the crash tests runs as the postgres user inside it
export TMPDIR=$run_tmp

run() { # project: runs its tests quietly; the output and the exit code land in $results
  local name; name=$(basename "$1" .csproj)
  dotnet test "$1" -c Release --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" > "$results/$name.log" 2>&1
  echo $? > "$results/$name.code"
}

tally() { # project: shows its output and adds its counts
  local name code trx counters p f
  name=$(basename "$1" .csproj)
  echo "== $name"
  cat "$results/$name.log"
  code=$(cat "$results/$name.code" 2>/dev/null || echo 1)
  trx="$results/$name.trx"
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
  fi
  # A test run stopped from outside can exit 0 without writing its results: no results file is a failure too.
  if [ "$code" -ne 0 ] || [ ! -f "$trx" ]; then
    status=1
    # A crashed test host records no failures of its own; count it so the run is never green by accident.
    if [ ! -f "$trx" ] || [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
  fi
}

# The process tests spend most of their time starting processes and waiting for them to join and fail over, and the
# browser tests waiting for Chromium, so they run beside the in-process tiers, which start with the unit tier: a broken
# rule shows in seconds. The two lines take about as long.
beside_projects=(tests/QrMahalla.EndToEnd.Tests/QrMahalla.EndToEnd.Tests.csproj tests/QrMahalla.Browser.Tests/QrMahalla.Browser.Tests.csproj)
(for project in "${beside_projects[@]}"; do run "$project"; done) &
beside=$!
for project in tests/QrMahalla.Unit.Tests/QrMahalla.Unit.Tests.csproj tests/QrMahalla.Gateway.Tests/QrMahalla.Gateway.Tests.csproj \
  tests/QrMahalla.Storage.Tests/QrMahalla.Storage.Tests.csproj tests/QrMahalla.Cluster.Tests/QrMahalla.Cluster.Tests.csproj; do
  run "$project"; tally "$project"
done
wait "$beside"
for project in "${beside_projects[@]}"; do tally "$project"; done
# A test project nobody listed above would never run: count it as a failure.
for project in tests/*/*.csproj; do
  [ -f "$results/$(basename "$project" .csproj).code" ] || { echo "== $project is not run by test.sh"; failed=$((failed + 1)); status=1; }
done

if [ -f "$run_tmp/qrm-tests/measurements.txt" ]; then
  echo "== what the process tests measured (failover and restart times)"
  cat "$run_tmp/qrm-tests/measurements.txt"
fi
if [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]; then rm -rf "$run_tmp"; else echo "the tests' temp folders are kept in $run_tmp"; fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
