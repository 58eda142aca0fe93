#!/usr/bin/env python3
"""Prints one benchmark run (bench/results/run-*.jsonl) as a table, with the ratios against the ceilings."""
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {r.get("label"): r for r in rows if "label" in r}
print(rows[0])
print(f"{'label':36} {'mode':14} {'per_s':>9} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>8} {'failed':>6}  cpu_s / peak_rss_mb")
for r in rows[1:]:
    if "per_second" not in r:
        print(f"{r['label']:36} {json.dumps({k: v for k, v in r.items() if k not in ('label', 'workload')})}")
        continue
    print(f"{r['label']:36} {r.get('mode',''):14} {r['per_second']:>9} {r.get('p50_ms', r.get('avg_ms', '')):>7} "
          f"{r.get('p90_ms',''):>7} {r.get('p99_ms',''):>7} {r.get('max_ms',''):>8} {r.get('failed',''):>6}  "
          f"{r.get('cpu_seconds','')} {r.get('peak_rss_mb','')}")

def ratio(name, numerator, denominator, divide=1):
    if numerator in by and denominator in by:
        value = by[numerator]["per_second"] / (by[denominator]["per_second"] / divide)
        print(f"{name:60} {value:6.2f}")

print()
print("ratios (same run):")
ratio("embedded send-code/s / SQLite upsert ceiling", "embedded/send", "embedded/ceiling-sqlite-upsert")
ratio("embedded login/s / (SQLite upsert ceiling / 3 writes)", "embedded/login", "embedded/ceiling-sqlite-upsert", 3)
ratio("cluster send-code/s / PostgreSQL upsert ceiling", "cluster-2/send", "postgres/ceiling-upsert")
ratio("cluster login/s / (PostgreSQL upsert ceiling / 3 writes)", "cluster-2/login", "postgres/ceiling-upsert", 3)
ratio("cluster send-code/s / HTTP ceiling of the same gateway", "cluster-2/send", "cluster-2/ceiling-http")
ratio("send-code/s with 2 silos / with 1 silo", "cluster-2/send", "cluster-1/send")
ratio("send-code/s, address limit off (no hop) / on", "cluster-2/send", "cluster-2/send-address-limit-on")
ratio("login/s with 2 silos / with 1 silo", "cluster-2/login", "cluster-1/login")
for config in ("embedded", "cluster-2"):
    if f"{config}/send-open-half" in by:
        r = by[f"{config}/send-open-half"]
        print(f"{config + ' p99 at half the measured send maximum (' + r['mode'] + '), ms':60} {r['p99_ms']:6.2f}")
