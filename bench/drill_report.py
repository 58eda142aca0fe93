#!/usr/bin/env python3
"""One drill's line for its results file: requests, failures and their window, and what the database holds.
Usage: drill_report.py RESULT_JSON TRACE USERS BINDINGS FAULT_AT_S NAME [ACTIVE_SILOS_AT_THE_END]
(TRACE: the load driver's "<seconds> <1|0> <phone> [<started>]" lines, the time a login ended and, in newer traces,
when it began; USERS, BINDINGS: one phone per line.)"""
import json, sys
result = json.loads(open(sys.argv[1]).read().splitlines()[-1])
trace = [line.split() for line in open(sys.argv[2]) if line.strip()]
users = [u for u in open(sys.argv[3]).read().split() if u]
bindings = set(b for b in open(sys.argv[4]).read().split() if b)
fault_at = float(sys.argv[5])
failures = sorted(float(line[0]) for line in trace if line[1] == "0")
# When the failed logins began: the span of time in which a user who tried got an error, whenever it was answered.
failed_starts = sorted(float(line[3]) for line in trace if line[1] == "0" and len(line) > 3)
logged_in = {line[2] for line in trace if line[1] == "1"}
print(json.dumps({
    "drill": sys.argv[6], "requests": len(trace), "failed": len(failures),
    "failed_percent": round(100.0 * len(failures) / max(len(trace), 1), 2),
    "error_window_s": round(failures[-1] - failures[0], 2) if failures else 0.0,
    "fault_at_s": fault_at,
    "first_failure_s": failures[0] if failures else None, "last_failure_s": failures[-1] if failures else None,
    "recovered_after_fault_s": round(failures[-1] - fault_at, 2) if failures else 0.0,
    **({"failed_logins_began_s": [round(failed_starts[0] - fault_at, 2), round(failed_starts[-1] - fault_at, 2)]} if failed_starts else {}),
    "p99_ms": result["p99_ms"], "max_ms": result["max_ms"],
    "lost_users": len([p for p in logged_in if p not in set(users)]),
    "duplicate_users": len(users) - len(set(users)),
    # A login that failed after its binding was written leaves a binding whose user the next correct code creates.
    "bindings_without_user_after_a_failed_login": len([b for b in bindings if b not in set(users) and b not in logged_in]),
    "bindings_without_user_after_a_successful_login": len([b for b in bindings if b not in set(users) and b in logged_in]),
    "users_without_binding": len([u for u in set(users) if u not in bindings]),
    **({"active_silos_at_the_end": int(sys.argv[7])} if len(sys.argv) > 7 else {}),
}))
