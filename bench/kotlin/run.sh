#!/usr/bin/env bash
# Kotlin micro-benchmark for bench/run: builds the sandgate jar, installs it into the local
# Maven repository, compiles this project (its only dependency is the jar) and runs it.
# Usage: bench/kotlin/run.sh ITERS MEMORY_ITERS
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
"$root/bindings/kotlin/build.sh" >&2
(cd "$root/bindings/kotlin" && mvn -B -q -Dstyle.color=never install -Dmaven.test.skip=true >&2)
cd "$here"
mvn -B -q -Dstyle.color=never package >&2
mvn -B -q -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >&2
exec java -cp "target/classes:$(cat target/classpath.txt)" dev.sandgate.bench.MainKt "$@"
