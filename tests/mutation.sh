#!/usr/bin/env bash
# Mutation testing with Stryker.NET against the unit tier: every surviving mutant is a change that no unit test
# notices. Two sets: the rule types (src/Grains/Rules; stryker-config.json) and the token and secret code
# (TokenIssuer, AuthSecrets, OtpCodes; stryker-tokens.json). Reports land in tests/StrykerOutput/<set>/reports/.
# Not part of ./test.sh (each set takes minutes). Usage: tests/mutation.sh [rules|tokens|all]  (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
cd tests
set=${1:-all}
[ "$set" = rules ] || [ "$set" = all ] && dotnet stryker --config-file stryker-config.json --output StrykerOutput/rules
[ "$set" = tokens ] || [ "$set" = all ] && dotnet stryker --config-file stryker-tokens.json --output StrykerOutput/tokens
exit 0
