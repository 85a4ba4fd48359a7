#!/usr/bin/env bash
# Kotlin/JVM: release/build deployed the jar and pom with `mvn deploy` into a Maven repository in
# a folder (target/dist/maven). A fresh Maven project that names only that repository (besides
# Maven Central) and dev.sandgate:sandgate:<version> resolves it with its JNA and coroutines
# dependencies, compiles the README quickstart and runs it (PATH without cargo or rustc).
# Its own local repository (target/tools/install/m2, without any dev/sandgate) proves the jar
# came from the deployed repository, not from a `mvn install` of the build.
set -euo pipefail
source "$(dirname "$0")/../../release/lib.sh"
source "$ROOT/sdk-tests/install/lib.sh"
need_dist "$DIST/maven/dev/sandgate/sandgate/$VERSION/sandgate-$VERSION.jar"
here="$(fresh_dir kotlin)"
m2="$ITOOLS/m2"
rm -rf "$m2/dev/sandgate"
kotlin_version="$(sed -n 's|.*<kotlin.version>\(.*\)</kotlin.version>.*|\1|p' "$ROOT/bindings/kotlin/pom.xml" | head -n 1)"

mkdir -p "$here/src/main/kotlin"
cat >"$here/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>quickstart</artifactId>
  <version>1</version>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository>
      <id>sandgate-local</id>
      <url>file://$DIST/maven</url>
    </repository>
  </repositories>
  <dependencies>
    <dependency>
      <groupId>dev.sandgate</groupId>
      <artifactId>sandgate</artifactId>
      <version>$VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <sourceDirectory>src/main/kotlin</sourceDirectory>
    <plugins>
      <plugin>
        <groupId>org.jetbrains.kotlin</groupId>
        <artifactId>kotlin-maven-plugin</artifactId>
        <version>$kotlin_version</version>
        <executions>
          <execution><id>compile</id><goals><goal>compile</goal></goals></execution>
        </executions>
        <configuration><jvmTarget>17</jvmTarget></configuration>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
      </plugin>
    </plugins>
  </build>
</project>
POM
readme_block kotlin >"$here/src/main/kotlin/Quickstart.kt"

PATH="$(no_rust_path)"
export PATH
mvn() { command mvn -B -q -Dstyle.color=never "-Dmaven.repo.local=$m2" "$@"; }
(cd "$here" && mvn compile dependency:build-classpath -Dmdep.outputFile=classpath.txt)
# What resolved: sandgate from the folder repository, and its own dependencies.
grep -q "dev/sandgate/sandgate/$VERSION/sandgate-$VERSION.jar" "$here/classpath.txt"
grep -q "/net/java/dev/jna/jna/" "$here/classpath.txt"
grep -q "/org/jetbrains/kotlinx/kotlinx-coroutines-core-jvm/" "$here/classpath.txt"
grep -q "sandgate-local" "$m2/dev/sandgate/sandgate/$VERSION/_remote.repositories"
(cd "$here" && java -cp "target/classes:$(cat classpath.txt)" QuickstartKt) >"$here/out.txt" 2>&1 ||
  { cat "$here/out.txt"; exit 1; }
check_quickstart "$here/out.txt"
