#!/usr/bin/env bash
# The servlet filter's suite: installs Maven if missing, lints the Kotlin with ktlint (the
# pinned ktlint-cli jar, as bindings/kotlin does), makes the Kotlin binding's jar (builds it with
# bindings/kotlin/build.sh and `mvn package` unless a jar built from the same sources is there),
# installs that jar into the local Maven repository under a version of its own
# (0.1.0-local-<hash of the jar>, so another checkout installing dev.sandgate:sandgate:0.1.0 at
# the same time cannot swap it), and runs the JUnit 5 tests against it on an embedded Jetty 12
# (`mvn test -Dsandgate.version=...`). Copies the Surefire XML into $SANDGATE_RESULTS_DIR
# (default target/sdk-tests/kotlin-servlet/ under the repo). Changes no tracked file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
kotlin="$root/bindings/kotlin"
results="${SANDGATE_RESULTS_DIR:-$root/target/sdk-tests/kotlin-servlet}"

if ! command -v mvn >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq maven default-jdk-headless
fi
mvn=(mvn -B -q -Dstyle.color=never)

ktlint_version=1.8.0
cd "$here"
"${mvn[@]}" dependency:copy \
  -Dartifact="com.pinterest.ktlint:ktlint-cli:$ktlint_version:jar:all" -DoutputDirectory=target/ktlint
java -jar "target/ktlint/ktlint-cli-$ktlint_version-all.jar" --editorconfig=.editorconfig --relative "src/**/*.kt"

# The binding's jar: reused when it was built from the sources now in the tree (the stamp is a
# hash of the tracked and changed files of core/ and bindings/kotlin/ and Cargo.lock).
mkdir -p target
stamp="$(cd "$root" && { git ls-files -s core bindings/kotlin Cargo.lock Cargo.toml; git diff HEAD -- core bindings/kotlin Cargo.lock Cargo.toml;
  git ls-files -o --exclude-standard core bindings/kotlin | xargs -r sha256sum; } | sha256sum | cut -c1-16)"
jar="$kotlin/target/sandgate-0.1.0.jar"
if [ ! -f "$jar" ] || [ "$(cat target/sandgate-jar.stamp 2>/dev/null)" != "$stamp:$(sha256sum "$jar" | cut -c1-64)" ]; then
  "$kotlin/build.sh"
  (cd "$kotlin" && "${mvn[@]}" package -DskipTests)
  echo "$stamp:$(sha256sum "$jar" | cut -c1-64)" > target/sandgate-jar.stamp
fi
version="0.1.0-local-$(sha256sum "$jar" | cut -c1-12)"
sed "0,/<version>0.1.0<\/version>/s//<version>$version<\/version>/" "$kotlin/pom.xml" > target/sandgate-pom.xml
"${mvn[@]}" install:install-file -Dfile="$jar" -DpomFile=target/sandgate-pom.xml

# No classes compiled from sources that are gone (the Kotlin compiler keeps them otherwise).
rm -rf target/surefire-reports target/classes target/test-classes
status=0
"${mvn[@]}" test -Dsandgate.version="$version" || status=$?
mkdir -p "$results"
if [ -d target/surefire-reports ]; then
  cp target/surefire-reports/TEST-*.xml "$results"/ 2>/dev/null || true
fi
exit $status
