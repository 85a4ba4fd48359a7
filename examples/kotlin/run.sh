#!/usr/bin/env bash
# Runs the Kotlin example as a user would: build the sandgate jar (native library inside),
# install it into the local Maven repository, then compile this project, whose only
# dependency is that jar, and run it with plain `java` (no library path, no native setup).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

"$root/bindings/kotlin/build.sh"
(cd "$root/bindings/kotlin" && mvn -B -q -Dstyle.color=never install -Dmaven.test.skip=true)

cd "$here"
mvn -B -q -Dstyle.color=never package
mvn -B -q -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
exec java -cp "target/classes:$(cat target/classpath.txt)" dev.sandgate.example.MainKt
