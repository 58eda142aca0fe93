#!/usr/bin/env python3
"""Removes or weakens one rule at a time in a scratch copy of HEAD and runs the unit tier against it.

Every mutant must be killed (the unit tier fails): a survivor is a rule no unit test holds. Each mutant is one exact
text replacement that must match once, so a refactoring that moves a rule makes this script say so instead of
silently testing nothing. Usage: tools/rule-mutants.py   (about 40 s per mutant on two cores; nothing else is touched)
"""
import os, subprocess, sys, tempfile

CODE, SESSION, ACCOUNT = "src/Grains/Rules/CodeRules.cs", "src/Grains/Rules/SessionRules.cs", "src/Grains/Rules/AccountRules.cs"
MUTANTS = [
    (CODE, "if (state.LastSentAt is { } last && last + otp.ResendCooldown > now)",
     "if (state.WrongAttempts < 0 && state.LastSentAt is { } last && last + otp.ResendCooldown > now)", "resend cooldown"),
    (CODE, "return state.SendTimes.Count >= otp.MaxSendsPerHour ?", "return state.SendTimes.Count < 0 ?", "hourly send cap"),
    (CODE, "            return state.LockedUntil.Value - now;", "            return null;", "a lockout blocks sends"),
    (CODE, "        state.SendTimes.RemoveAll(t => t <= now - SendWindow);\n", "", "sends leave the hour"),
    (CODE, "        state.ExpiresAt = now + otp.CodeLifetime;\n        state.WrongAttempts = 0;",
     "        state.ExpiresAt = now + otp.CodeLifetime;", "a new code gets fresh attempts"),
    (CODE, "now >= state.ExpiresAt ?", "state.WrongAttempts < 0 ?", "codes expire"),
    (CODE, "        if (state.Dead)\n        {\n            return new CodeCheck",
     "        if (state.Dead && state.WrongAttempts < 0)\n        {\n            return new CodeCheck", "a dead code is refused"),
    (CODE, "        if (state.LockedUntil > now)\n        {\n            return new CodeCheck(CodeCheckStatus.Locked",
     "        if (state.LockedUntil > now && state.WrongAttempts < 0)\n        {\n            return new CodeCheck(CodeCheckStatus.Locked",
     "a locked phone refuses guesses"),
    (CODE, "if (state.WrongAttempts < otp.MaxAttempts)", "if (state.WrongAttempts >= 0)", "attempts per code"),
    (CODE, "if (state.DeadCodeTimes.Count >= otp.LockoutAfterDeadCodes)", "if (state.DeadCodeTimes.Count < 0)", "lockout after dead codes"),
    (CODE, "        state.DeadCodeTimes.RemoveAll(t => t <= now - SendWindow);\n        state.DeadCodeTimes.Add(now);",
     "        state.DeadCodeTimes.Add(now);", "dead codes count within the hour only"),
    (CODE, "        state.DeadCodeTimes.Clear();\n        state.FailedVerifications = 0;\n    }",
     "        state.FailedVerifications = 0;\n    }", "a login clears the dead-code count"),
    (CODE, "        state.DeadCodeTimes.Clear();\n        state.FailedVerifications = 0;\n    }",
     "        state.DeadCodeTimes.Clear();\n    }", "a login clears the wrong guesses in a row"),
    (CODE, "        && state.LastSentAt <= binding.ConsumedAt\n", "", "the spent code is the one sent before its use"),
    (CODE, "        state.LockedUntil = null;\n        state.DeadCodeTimes.Clear();\n        state.FailedVerifications = 0;",
     "        state.DeadCodeTimes.Clear();\n        state.FailedVerifications = 0;", "unlocking lifts the lock"),
    (CODE, "=> state.SendTimes.Add(now);", "{ state.SendTimes.Add(now); state.LastSentAt = now; }", "a failed send starts no cooldown"),
    (CODE, "new[] { SendWindow, FailureMemory, otp.CodeLifetime, otp.ResendCooldown, otp.LockoutDuration, MaxLockout }.Max()",
     "new[] { SendWindow, FailureMemory, otp.CodeLifetime, otp.ResendCooldown, MaxLockout }.Max()", "the sweep keeps state through a lockout"),
    (CODE, "new[] { SendWindow, FailureMemory, otp.CodeLifetime, otp.ResendCooldown, otp.LockoutDuration, MaxLockout }.Max()",
     "new[] { SendWindow, otp.CodeLifetime, otp.ResendCooldown, otp.LockoutDuration, MaxLockout }.Max()",
     "the sweep keeps wrong guesses for a week"),
    (CODE, "        var locked = CountFailure(state, now);", "        var locked = false;", "wrong guesses count across codes"),
    (CODE, "Math.Pow(2, Math.Min(state.FailureLockouts.Count, 16))", "Math.Pow(2, 0)", "lockouts double"),
    (CODE, "(doubled < MaxLockout ? doubled : MaxLockout)", "doubled", "lockouts stop doubling at a day"),
    (CODE, "        state.FailedVerifications = 0;\n        return true;", "        return true;", "a lockout starts the count again"),
    (CODE, "if (state.LastFailedAt <= now - FailureMemory)", "if (state.LastFailedAt < DateTimeOffset.MinValue)",
     "wrong guesses are forgotten after a week"),
    (SESSION, "while (user.Sessions.Count > jwt.MaxSessionsPerUser)", "while (user.Sessions.Count < 0)", "sessions per user"),
    (SESSION, "            && now - session.RotatedAt <= jwt.RefreshReuseGrace)", "            )", "the refresh grace ends"),
    (SESSION, "            user.Sessions.Remove(session.DeviceId);\n            return new RefreshDecision(RefreshOutcome.Replayed);",
     "            return new RefreshDecision(RefreshOutcome.Replayed);", "a replay revokes its session"),
    (SESSION, "        session.RefreshTokenId = newTokenId();", "", "a refresh rotates the token"),
    (SESSION, "user is { Registered: true, IsActive: true } && Find", "user is { Registered: true } && Find",
     "a deactivated account has no live session"),
    (SESSION, "if (user is { Registered: true, IsActive: false })", "if (user.Sessions.Count < 0)", "a deactivated account refreshes nothing"),
    (SESSION, "now >= AbsoluteEnd(session) || now", "now", "a session ends 90 days after its sign-in"),
    (SESSION, " || now >= session.LastSeenAt + jwt.SessionIdleTimeout", "", "an idle session ends"),
    (SESSION, "        Prune(user, now);\n", "", "a login forgets ended sessions"),
    (SESSION, "        if (HasEnded(session, now))", "        if (session.CreatedAt < DateTimeOffset.MinValue)", "an ended session refreshes nothing"),
    (ACCOUNT, ": update.Address?.Length > AddressMax ?", ": update.Address is null && false ?", "address length"),
    (ACCOUNT, "update.Role is not null && !UserRoles.IsValid(update.Role) ? RoleRule", "update.Role is null && false ? RoleRule", "role names"),
    (ACCOUNT, "Math.Clamp(limit, 1, MaxPageSize)", "Math.Max(limit, 1)", "staff page size"),
    ("src/Grains/Options/RateLimitingOptions.cs", "=> LimitFor(action) > 0;", "=> true;", "a per-address limit of 0 is off"),
]


def run(args, cwd, timeout=600):
    """The exit code; a run that hangs (a mutant can make a loop endless) counts as a failure."""
    try:
        return subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return -1


def main():
    repo = subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip()
    tree = tempfile.mkdtemp(prefix="qrm-mutants.")
    subprocess.check_call(f"git -C {repo} archive HEAD | tar -x -C {tree}", shell=True)
    project = "tests/QrMahalla.Unit.Tests"
    survivors = 0
    for path, original, mutant, rule in MUTANTS:
        file = os.path.join(tree, path)
        text = open(file).read()
        if text.count(original) != 1:
            print(f"{rule}: the rule's text is not found once in {path}; update this script")
            survivors += 1
            continue
        open(file, "w").write(text.replace(original, mutant))
        if run(["dotnet", "build", project, "-c", "Release", "-nologo"], tree) != 0:
            outcome, bad = "does not compile (fix the mutant)", True
        elif run(["dotnet", "test", project, "-c", "Release", "--no-build", "--nologo", "--blame-hang-timeout", "60s"], tree, timeout=180) != 0:
            outcome, bad = "killed", False
        else:
            outcome, bad = "SURVIVED", True
        survivors += bad
        print(f"{rule}: {outcome}", flush=True)
        open(file, "w").write(text)
    print(f"{len(MUTANTS) - survivors} of {len(MUTANTS)} mutants killed")
    subprocess.call(["rm", "-rf", tree])
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()
