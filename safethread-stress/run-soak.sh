#!/usr/bin/env bash
# The chaos soak (org.safethread.stress.soak.Soak; see docs/testing.md).
#
#   safethread-stress/run-soak.sh --minutes 30      # the long run
#   safethread-stress/run-soak.sh --seconds 60      # CI
#   safethread-stress/run-soak.sh --self-test       # every --break switch must make the soak fail
#
# Other arguments go to Soak as they are (--burst N, --break=SWITCH,...). The JVM gets a small
# heap (-Xmx64m) so that a leak shows quickly, and a 100 ms finalizer stall timeout so that the
# injected 300 ms hangs are stalls. Build the jar first:
#   mvn -B -pl safethread-stress -am package -DskipTests
set -uo pipefail
cd "$(dirname "$0")"
JAR="$PWD/target/jcstress.jar"
[ -f "$JAR" ] || { echo "no $JAR: build it with: mvn -B -pl safethread-stress -am package -DskipTests" >&2; exit 2; }
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JVM_FLAGS=(-Xmx64m -Dsafethread.finalizer.stallTimeout=100ms -Dsafethread.collector.threshold=2000)

soak() {
    "$JAVA" "${JVM_FLAGS[@]}" -cp "$JAR" org.safethread.stress.soak.Soak "$@"
}

if [ "${1:-}" = "--self-test" ]; then
    # switch:check it must trip (Break.java)
    cases=(lose-money:money skip-finalizer:finalizers-once double-finalizer:finalizers-once
           leak-buffer:buffers-freed kill-runtime-thread:runtime-threads slow-deadlock-breaking:deadlock-progress
           leak-heap:heap-flat miscount-stats:stats uncounted-cycle:stats
           branch-run-twice:branch-accounting branch-lose-failure:branch-failure
           branch-escape-thread:branch-threads miscount-branches:stats
           map-miscount:map-counts map-double-victim:map-deadlock space-lose-money:space-money
           weak-keep-key:weak-dies weak-hold-key:weak-empty)
    failed=0
    mkdir -p target/soak-self-test
    for c in "${cases[@]}"; do
        sw="${c%%:*}"
        check="${c#*:}"
        log="target/soak-self-test/$sw.log"
        soak --seconds 8 --burst 2000 --break="$sw" > "$log" 2>&1
        rc=$?
        if [ "$rc" -eq 1 ] && grep -q "VIOLATION \[$check\]" "$log"; then
            echo "self-test: --break=$sw  -> exit $rc, caught by [$check]: ok"
        else
            echo "self-test: --break=$sw  -> exit $rc, [$check] violation $(grep -c "VIOLATION \[$check\]" "$log") times: NOT CAUGHT" >&2
            tail -n 30 "$log" >&2
            failed=1
        fi
    done
    exit $failed
fi
soak "$@"
