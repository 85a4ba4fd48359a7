#!/usr/bin/env bash
# The Kotlin suite: installs Maven if missing, builds the native library and the bindings,
# runs the JUnit 5 tests (`mvn test`, Maven's downloads happen inside it) and copies the
# Surefire XML into $SANDGATE_RESULTS_DIR (default target/sdk-tests/kotlin/ under the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
results="${SANDGATE_RESULTS_DIR:-$root/target/sdk-tests/kotlin}"

if ! command -v mvn >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq maven default-jdk-headless
fi

"$here/build.sh"

cd "$here"
rm -rf target/surefire-reports
status=0
mvn -B -q -Dstyle.color=never test || status=$?
mkdir -p "$results"
if [ -d target/surefire-reports ]; then
  cp target/surefire-reports/TEST-*.xml "$results"/ 2>/dev/null || true
fi
exit $status
