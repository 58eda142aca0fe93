#!/usr/bin/env bash
# Mutation testing of the rule types (src/Grains/Rules) with Stryker.NET against the unit tier: every surviving mutant
# is a change to a rule that no unit test notices. The report lands in tests/StrykerOutput/reports/.
# Not part of ./test.sh (it takes minutes). Usage: tests/mutation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
cd tests
dotnet stryker --config-file stryker-config.json --output StrykerOutput "$@"
