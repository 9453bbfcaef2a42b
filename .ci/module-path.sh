#!/usr/bin/env bash
# The library as a named module: runs the demo (bank, resources) and a small consumer module
# (safethread-examples/module-consumer) on the module path, on the JDK on PATH (17 on CI) and on
# JDK 25 where installed. The consumer is compiled twice: as written (its module-info opens its
# packages to org.safethread) it must work, including SafeThread.shutdown; with the opens
# removed, each use must be refused with a message naming the package to open. See docs/guide.md,
# "On the module path".
#
# Needs what stage 1 (mvn -B verify) built: safethread-examples/target/lib (the demo's runtime
# jars, safethread-core's among them, copied one by one at package time) and the demo's own jar.
# About 20-30 s (measured: docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."

E=safethread-examples/target
LIB=$E/lib
DEMO=$(ls "$E"/safethread-examples-*.jar 2>/dev/null | grep -v -e '-sources' -e '-javadoc' | head -n 1 || true)
if [ ! -d "$LIB" ] || [ -z "$DEMO" ] || ! ls "$LIB"/safethread-core-*.jar > /dev/null 2>&1; then
    echo "module-path: $LIB or the demo's jar is missing; run mvn -B verify (or package) first" >&2
    exit 1
fi
JAVA17=${JAVA_HOME:+$JAVA_HOME/bin/}java
JAVAC17=${JAVA_HOME:+$JAVA_HOME/bin/}javac
JDK25=/usr/lib/jvm/temurin-25-jdk-amd64
W=$E/module-path
rm -rf "$W"
mkdir -p "$W"
start=$(date +%s)

# The consumer, compiled once for release 17 (it runs on both JDKs): as written, and without opens.
SRC=safethread-examples/module-consumer/src
"$JAVAC17" --release 17 -d "$W/consumer" -p "$LIB" --module-source-path "$SRC" -m com.example.consumer
mkdir -p "$W/refused-src"
cp -r "$SRC/com.example.consumer" "$W/refused-src/"
sed -i '/^ *opens /d' "$W/refused-src/com.example.consumer/module-info.java"
if grep -q opens "$W/refused-src/com.example.consumer/module-info.java"; then
    echo "module-path: could not remove the opens from the consumer's module-info" >&2
    exit 1
fi
"$JAVAC17" --release 17 -d "$W/refused" -p "$LIB" --module-source-path "$W/refused-src" -m com.example.consumer

# run NAME EXPECT COMMAND...: runs with a time limit, output to a log; fails unless the exit status
# is 0 and the log has EXPECT.
run() {
    local name=$1 expect=$2
    shift 2
    local log="$W/$name.log"
    if ! timeout 120 "$@" > "$log" 2>&1 || ! grep -q -- "$expect" "$log"; then
        tail -n 40 "$log"
        echo "module-path: $name failed (expected \"$expect\"; log $log)" >&2
        exit 1
    fi
    echo "  $name: $(grep -m 1 -- "$expect" "$log")"
}

on() {
    local tag=$1 java=$2
    local t0
    t0=$(date +%s)
    echo "module path on $("$java" -version 2>&1 | sed -n 1p)"
    # The demo is an automatic module (its jar has no module-info); the library, slf4j and
    # jfreechart are named modules. The exports match the shaded jar's manifest (DirectMemory).
    local demo=(-p "$LIB:$DEMO" --add-modules ALL-MODULE-PATH
        --add-exports java.base/sun.nio.ch=safethread.examples
        --add-exports java.base/jdk.internal.ref=safethread.examples
        -m safethread.examples/org.safethread.examples.Main)
    run "$tag-bank" "^OK" "$java" -Xmx256m "${demo[@]}" bank --seconds=1 --compare-seconds=0
    run "$tag-resources" "^OK" "$java" -Xmx256m "${demo[@]}" resources --seconds=1 --budget-mb=16 --threads=2
    run "$tag-consumer" "consumer: .*OK" "$java" -Xmx128m -p "$LIB:$W/consumer" -m com.example.consumer/com.example.consumer.Main
    run "$tag-consumer-without-opens" "consumer: without opens.*OK" \
        "$java" -Xmx128m -p "$LIB:$W/refused" -m com.example.consumer/com.example.consumer.Main refused
    echo "  ($(( $(date +%s) - t0 )) s)"
}

on jdk17 "$JAVA17"
if [ -d "$JDK25" ]; then
    on jdk25 "$JDK25/bin/java"
else
    echo "module path: $JDK25 not installed, JDK 25 run skipped"
fi
echo "module path: all runs passed in $(( $(date +%s) - start )) s"
