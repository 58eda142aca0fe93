#!/usr/bin/env bash
# Against the peer: the Django service this project replaces (../shared/peers/django-seed, its strongest
# configuration) and the project's configurations (embedded SQLite, one process on PostgreSQL, 2 silos + 1 gateway on
# PostgreSQL, Memory), alternated in one run (round 1 Django first, round 2 in reverse order, ...) with the same load
# client, the same warm-up and the same concurrency, so the results read as ratios to Django of the same run.
# Loopback only; bounded in time; every process it starts is stopped at exit.
# Usage: bench/peer.sh [seconds per measurement = 15] [rounds = 2] [concurrency = 16] [warm-up seconds = 15]
#        CONFIGS="embedded pg-one cluster memory" (the project's configurations to run; Django always runs);
#        embedded-adonet and pg-one-adonet are the same processes with Orleans' ADO.NET writer (Storage:Writer=AdoNet)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-15}
ROUNDS=${2:-2}
CONCURRENCY=${3:-16}
WARMUP_SECONDS=${4:-15}
CONFIGS=${CONFIGS:-embedded pg-one cluster memory}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for config in $CONFIGS; do
  case "$config" in embedded|pg-one|cluster|memory|embedded-adonet|pg-one-adonet) ;; *) echo "unknown configuration '$config' in CONFIGS"; exit 2 ;; esac
done
PEER_DIR=$(cd ../shared/peers/django-seed 2>/dev/null && pwd) \
  || { echo "the Django peer is missing: expected ../shared/peers/django-seed beside the project"; exit 2; }

mkdir -p bench/results
RESULTS="bench/results/peer-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
WORK=$(mktemp -d /tmp/qrm-peer.XXXXXX)
. bench/common.sh

# The peer's Debian packages, installed when missing (as tools/postgres.sh does for PostgreSQL).
if ! /usr/bin/python3 -c 'import django, rest_framework, rest_framework_simplejwt, psycopg2' 2>/dev/null || [ ! -x /usr/bin/gunicorn ] \
   || ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  echo "The Django peer's packages are missing; installing them with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-django python3-djangorestframework \
    python3-djangorestframework-simplejwt python3-psycopg2 gunicorn postgresql >/dev/null
fi

# The peer runs from the read-only shared folder; everything it writes (its PostgreSQL, gunicorn's pid and logs, the
# SMS outbox) goes to a temp folder. Its PostgreSQL is started once (durable, its defaults); gunicorn is restarted and
# its tables emptied before each of its measurements, so its database does not grow over the run.
DJ_PIDS=()
django() { # start.sh / stop.sh with this run's folder and ports; no bytecode written into the shared folder
  RUN_DIR=$DJ_RUN PG_BIN=$DJ_PG_BIN PG_PORT=$DJ_PG_PORT BIND=127.0.0.1:$DJ_PORT PYTHONDONTWRITEBYTECODE=1 \
    WORKER_CLASS=gthread THREADS=4 DB_CONN_MAX_AGE=60 "$PEER_DIR/$1" "${@:2}"
}
django_sql() { PGPASSWORD=djpeer "$DJ_PG_BIN/psql" -h 127.0.0.1 -p "$DJ_PG_PORT" -U djpeer -d djpeer -qAtX -c "$1"; }
django_stop_app() {
  django stop.sh app >/dev/null 2>&1 || true
  for pid in "${DJ_PIDS[@]:-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
  DJ_PIDS=()
}
peer_cleanup() {
  django_stop_app
  django stop.sh >/dev/null 2>&1 || true
  for log in gunicorn.log gunicorn.out postgres.log migrate.log; do cp "$DJ_RUN/$log" "$WORK/django-$log" 2>/dev/null || true; done
  rm -rf "$DJ_RUN"
  cleanup
}
DJ_PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
DJ_PG_PORT=$(free_port)
DJ_PORT=$(free_port)
DJ_RUN=$(mktemp -d /tmp/qrm-peer-django.XXXXXX)
trap peer_cleanup EXIT

echo "{\"machine\": \"$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)\", \"dotnet\": \"$(dotnet --version)\", \"commit\": \"$(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')\", \"storage_writer\": \"${Storage__Writer:-unset}\", \"peer\": \"django-seed: Django $(/usr/bin/python3 -c 'import django; print(django.get_version())'), gunicorn $(gunicorn --version 2>&1 | awk '{print $NF}' | tr -d '()'), gthread 2 workers x 4 threads, CONN_MAX_AGE=60, PostgreSQL $("$DJ_PG_BIN/postgres" --version | awk '{print $3}') (its defaults)\", \"cpu_pids\": \"project: its processes (silos, gateway); django: gunicorn master and workers; neither PostgreSQL\", \"configs\": \"django $CONFIGS\", \"seconds_per_run\": $SECONDS_PER_RUN, \"rounds\": $ROUNDS, \"concurrency\": $CONCURRENCY, \"warmup_seconds\": $WARMUP_SECONDS}" | tee -a "$RESULTS"

bench_settings
case " $CONFIGS " in *" pg-one"*|*" cluster "*) qrm_start_postgres ;; esac  # durable: fsync and synchronous commit on

echo "== Django peer: its PostgreSQL and migrations"
django start.sh > "$WORK/django-start.log" 2>&1 || { cat "$WORK/django-start.log"; exit 1; }
django_stop_app

start_django() { # fresh gunicorn, empty tables and outbox -> sets T, PID_LIST
  django_sql "SET client_min_messages = warning; TRUNCATE users_usersession, users_phoneotp, users_user_groups, users_user_user_permissions, users_user RESTART IDENTITY CASCADE"
  : > "$DJ_RUN/sms_outbox.jsonl"
  django start.sh >> "$WORK/django-start.log" 2>&1 || { cat "$WORK/django-start.log"; exit 1; }
  local master; master=$(cat "$DJ_RUN/gunicorn.pid")
  DJ_PIDS=("$master")
  T="http://127.0.0.1:$DJ_PORT"
  for _ in $(seq 1 100); do
    mapfile -t workers < <(ps -o pid= --ppid "$master" | tr -d ' ')
    [ "${#workers[@]}" -ge 2 ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$T/api/users/auth/")" = 405 ] && break
    sleep 0.1
  done
  DJ_PIDS+=("${workers[@]}")
  PID_LIST=$(IFS=,; echo "${DJ_PIDS[*]}")
}

start_one() { # name storage-variables... : one process with a co-hosted silo -> sets T, PID_LIST, ONE
  local name=$1 port silo_port; shift
  port=$(free_port); silo_port=$(free_port)
  env "$@" Cluster__Provider=Localhost Urls="http://127.0.0.1:$port" Cluster__SiloPort="$silo_port" \
    Cluster__PrimarySiloPort="$silo_port" Cluster__GatewayPort="$(free_port)" \
    dotnet "$GATEWAY_DLL" > "$WORK/$name.log" 2>&1 &
  ONE=$!; PIDS+=("$ONE")
  T="http://127.0.0.1:$port"; PID_LIST=$ONE
  wait_ready "$T"
}

start_config() { # config round -> sets T, PID_LIST
  local config=$1 round=$2
  case "$config" in
    django) start_django ;;
    embedded) start_one "embedded-$round" Storage__Provider=Sqlite Storage__ConnectionString="Data Source=$WORK/embedded.db" ;;
    embedded-adonet) start_one "embedded-adonet-$round" Storage__Writer=AdoNet Storage__Provider=Sqlite Storage__ConnectionString="Data Source=$WORK/embedded.db" ;;
    memory) start_one "memory-$round" Storage__Provider=Memory ;;
    pg-one|pg-one-adonet)
      qrm_as_postgres "$qrm_pg_bin/createdb" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres "peer_pgone_$round"
      local writer=""; [ "$config" = pg-one-adonet ] && writer=Storage__Writer=AdoNet
      start_one "$config-$round" $writer Storage__Provider=PostgreSql \
        Storage__ConnectionString="Host=127.0.0.1;Port=$QRM_PG_PORT;Username=postgres;Database=peer_pgone_$round;Maximum Pool Size=200" ;;
    cluster)
      start_cluster "peer_cluster_$round" 2
      PID_LIST=$(IFS=,; echo "${CLUSTER_PIDS[*]}") ;;
  esac
}

stop_config() { # config round: stop it and drop what it stored, so nothing grows over the run
  local config=$1 round=$2
  case "$config" in
    django) django_stop_app ;;
    embedded|embedded-adonet) kill -9 "$ONE" 2>/dev/null || true; wait "$ONE" 2>/dev/null || true; rm -f "$WORK"/embedded.db* ;;
    memory) kill -9 "$ONE" 2>/dev/null || true; wait "$ONE" 2>/dev/null || true ;;
    pg-one|pg-one-adonet)
      kill -9 "$ONE" 2>/dev/null || true; wait "$ONE" 2>/dev/null || true
      qrm_as_postgres "$qrm_pg_bin/dropdb" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres --force "peer_pgone_$round" ;;
    cluster)
      stop_cluster; wait "${CLUSTER_PIDS[@]}" 2>/dev/null || true; unset Storage__ConnectionString Cluster__ClusterId
      qrm_as_postgres "$qrm_pg_bin/dropdb" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres --force "peer_cluster_$round" ;;
  esac
  : > "$Sms__FilePath"
}

measure() { # config round
  local config=$1 round=$2 outbox=$Sms__FilePath
  [ "$config" = django ] && outbox="$DJ_RUN/sms_outbox.jsonl"
  start_config "$config" "$round"
  # The same warm-up for every configuration (JIT, connection pools, Python imports), not measured.
  $DRIVER --label "peer/$config/warmup/$round" --workload send --concurrency "$CONCURRENCY" --duration "$WARMUP_SECONDS" --target "$T" --phone-offset 1000000 --out "$WORK/warmup.jsonl" >/dev/null
  $DRIVER --label "peer/$config/send/$round" --workload send --concurrency "$CONCURRENCY" --duration "$SECONDS_PER_RUN" --target "$T" --phone-offset 2000000 --out "$RESULTS" --pids "$PID_LIST"
  $DRIVER --label "peer/$config/login/$round" --workload login --concurrency "$CONCURRENCY" --duration "$SECONDS_PER_RUN" --target "$T" --phone-offset 3000000 --outbox "$outbox" --out "$RESULTS" --pids "$PID_LIST"
  stop_config "$config" "$round"
}

ORDER="django $CONFIGS"
REVERSED=$(echo "$ORDER" | tr ' ' '\n' | tac | tr '\n' ' ')
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order=$ORDER; else order=$REVERSED; fi
  for config in $order; do
    echo "== round $round: $config"
    measure "$config" "$round"
  done
done

echo "== done: $RESULTS"
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
header = rows[0]
configs = header["configs"].split()
def runs(config, workload):
    return [r for r in rows if r.get("label", "").startswith(f"peer/{config}/{workload}/")]
def median(config, workload, key="per_second"):
    values = [r[key] for r in runs(config, workload)]
    return statistics.median(values) if values else None
def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None
django = {w: median("django", w) for w in ("send", "login")}
memory_send = median("memory", "send")
summary = {"label": "peer/summary", "storage_writer": header.get("storage_writer"), "configs": {}}
for c in configs:
    mine = runs(c, "send") + runs(c, "login")
    s = {
        "send": [r["per_second"] for r in runs(c, "send")], "login": [r["per_second"] for r in runs(c, "login")],
        "median_send": median(c, "send"), "median_login": median(c, "login"),
        "send_over_django": ratio(median(c, "send"), django["send"]),
        "login_over_django": ratio(median(c, "login"), django["login"]),
        "send_p99_ms": median(c, "send", "p99_ms"), "login_p99_ms": median(c, "login", "p99_ms"),
        "max_ms": max((r["max_ms"] for r in mine), default=None),
        "failed": sum(r["failed"] for r in mine),
    }
    if c not in ("django", "memory"):
        s["send_over_memory"] = ratio(s["median_send"], memory_send)
    summary["configs"][c] = s
def cell(v, digits=0):
    return "-" if v is None else f"{v:,.{digits}f}"
print(f"{'configuration':<14}{'send/s':>10}{'÷ django':>10}{'login/s':>10}{'÷ django':>10}{'send p99':>10}{'max ms':>10}{'÷ memory':>10}{'failed':>8}")
for c, s in summary["configs"].items():
    print(f"{c:<14}{cell(s['median_send']):>10}{cell(s['send_over_django'], 2):>10}{cell(s['median_login']):>10}"
          f"{cell(s['login_over_django'], 2):>10}{cell(s['send_p99_ms'], 1):>10}{cell(s['max_ms']):>10}"
          f"{cell(s.get('send_over_memory'), 2):>10}{s['failed']:>8}")
print("medians over rounds; ÷ django: the Django peer's median of the same run; ÷ memory: durable send-code ÷ Memory send-code")
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(summary) + "\n")
PY
