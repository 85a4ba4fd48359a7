#!/usr/bin/env bash
# The Kotlin suite: installs Maven if missing, lints the hand-written Kotlin (the package, its
# tests, examples/kotlin, bench/kotlin) with ktlint (Maven fetches the pinned ktlint-cli jar),
# builds the native library and the bindings, runs the JUnit 5 tests (`mvn test`: the package
# compiles in Kotlin's explicit API mode with warnings as errors) and copies the Surefire XML
# into $SANDGATE_RESULTS_DIR (default target/sdk-tests/kotlin/ under the repo); then runs the
# servlet filter's suite (bindings/kotlin-servlet/test.sh) into the same results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
results="${SANDGATE_RESULTS_DIR:-$root/target/sdk-tests/kotlin}"

if ! command -v mvn >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq maven default-jdk-headless
fi

ktlint_version=1.8.0
cd "$here"
mvn -B -q -Dstyle.color=never dependency:copy \
  -Dartifact="com.pinterest.ktlint:ktlint-cli:$ktlint_version:jar:all" -DoutputDirectory=target/ktlint
java -jar "target/ktlint/ktlint-cli-$ktlint_version-all.jar" --editorconfig=.editorconfig --relative \
  "src/**/*.kt" "../../examples/kotlin/src/**/*.kt" "../../bench/kotlin/src/**/*.kt"

"$here/build.sh"

rm -rf target/surefire-reports
status=0
mvn -B -q -Dstyle.color=never test || status=$?
mkdir -p "$results"
if [ -d target/surefire-reports ]; then
  cp target/surefire-reports/TEST-*.xml "$results"/ 2>/dev/null || true
fi
# The Jakarta Servlet filter (its own module, on the jar above), counted in this row.
SANDGATE_RESULTS_DIR="$results" "$root/bindings/kotlin-servlet/test.sh" || status=$?
exit $status
