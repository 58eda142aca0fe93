#!/usr/bin/env bash
# How long `import-django` takes: N rows of the old service's users_user table (in PostgreSQL, durable) imported by the
# silo executable's operator command into a cluster of silo processes on the same PostgreSQL, then the same command
# again (nothing new: every row is already imported). Loopback only.
# Usage: bench/import.sh [rows = 10000] [silos = 3] [rounds = 2]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000}
SILOS=${2:-3}
ROUNDS=${3:-2}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p bench/results
RESULTS="bench/results/import-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
WORK=$(mktemp -d /tmp/qrm-import.XXXXXX)
chmod 755 "$WORK"
. bench/common.sh

qrm_start_postgres
bench_settings

# The columns the importer reads, as Django's migration declares them; phones typed three ways, as people did.
old_table() { # database
  psql_q postgres "CREATE DATABASE $1"
  psql_q "$1" "CREATE TABLE users_user (
      id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz NULL, is_superuser boolean NOT NULL,
      phone varchar(20) NOT NULL UNIQUE, first_name varchar(100) NULL, last_name varchar(100) NULL,
      passport_id varchar(20) NULL, address varchar(500) NULL, role varchar(20) NOT NULL, is_active boolean NOT NULL,
      is_verified boolean NOT NULL, is_staff boolean NOT NULL, date_joined timestamptz NOT NULL)"
  psql_q "$1" "INSERT INTO users_user (id, password, last_login, is_superuser, phone, first_name, last_name, passport_id,
        address, role, is_active, is_verified, is_staff, date_joined)
      SELECT i, '!unusable', CASE WHEN i % 2 = 1 THEN now() END, false,
        CASE i % 3 WHEN 0 THEN '+99890' || d WHEN 1 THEN '+998 90 ' || substr(d, 1, 3) || ' ' || substr(d, 4, 2) || ' ' || substr(d, 6)
          ELSE '99890' || d END,
        'Ism' || i, 'Familiya' || i, 'AB' || lpad(i::text, 7, '0'), 'Toshkent, ' || i || '-uy', 'user', true, i % 2 = 0, false,
        now() - interval '3 years'
      FROM generate_series(1, $ROWS) AS i, LATERAL (SELECT lpad((1000000 + i)::text, 7, '0') AS d) AS digits"
}

for round in $(seq 1 "$ROUNDS"); do
  db="import_$round"
  old_table "${db}_old"
  start_cluster "$db" "$SILOS"
  source_db="Host=127.0.0.1;Port=$QRM_PG_PORT;Username=postgres;Database=${db}_old"
  for pass in first again; do
    out=$(dotnet "$SILO_DLL" import-django --source "$source_db" 2>&1) || { echo "$out"; exit 1; }
    # "Read 10000 rows in 19.3 s: 10000 imported, 0 already imported, ..."
    line=$(grep -m1 '^Read ' <<<"$out")
    echo "round $round, $pass: $line"
    read -r read_rows seconds imported already < <(sed -E 's/^Read ([0-9]+) rows in ([0-9.]+) s: ([0-9]+) imported, ([0-9]+) already imported.*/\1 \2 \3 \4/' <<<"$line")
    echo "{\"label\": \"import-django $pass\", \"round\": $round, \"silos\": $SILOS, \"rows\": $read_rows, \"seconds\": $seconds, \"imported\": $imported, \"already_imported\": $already, \"rows_per_second\": $(python3 -c "print(round($read_rows / $seconds))")}" >> "$RESULTS"
  done
  stop_cluster
done
echo "results: $RESULTS"
