#!/usr/bin/env bash
# The long jcstress run: every test in `tough` mode, every compilation mode jcstress knows
# (interpreter, C1, C2, split compilation per actor, C2 stress randomizers: its default JVM-mode
# matrix, so no -jvmArgs and no "-sc false" here), on JDK 17 and JDK 25.
#
#   safethread-stress/run-long.sh                # the real thing: many hours on 2 cores
#   safethread-stress/run-long.sh -t RefAcquireSetTest -f 1 -iters 1 -time 100    # a smoke run
#
# Extra arguments go to jcstress as they are, after "-m tough" (so "-f", "-iters", "-time", "-t"
# override the mode's settings). Each JDK writes under safethread-stress/target/long-jdk<N>/:
# jcstress.log (the console output), results/ (the HTML report, index.html) and the
# jcstress-results-*.bin.gz blob. JDK 25 is skipped with a note when it is not installed.
#
# Exit status: 0 when every run passed; 1 when any run had a FORBIDDEN outcome, an error or a
# crash (jcstress's own non-zero exit, or a non-zero "failed", "soft errs" or "hard errs" count
# in its last "Results:" line).
# Build the jar first:  mvn -B -pl safethread-stress -am package -DskipTests
set -uo pipefail
cd "$(dirname "$0")"
JAR="$PWD/target/jcstress.jar"
[ -f "$JAR" ] || { echo "no $JAR: build it with: mvn -B -pl safethread-stress -am package -DskipTests" >&2; exit 2; }

JDK17="${JDK17:-${JAVA_HOME:-}}"
JDK25="${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [ -z "$JDK17" ]; then
    JDK17="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
status=0
summary=()
for entry in "17:$JDK17" "25:$JDK25"; do
    v="${entry%%:*}"
    home="${entry#*:}"
    if [ ! -x "$home/bin/java" ]; then
        echo "=== JDK $v: skipped ($home/bin/java not found)"
        summary+=("JDK $v: skipped, not installed")
        continue
    fi
    out="$PWD/target/long-jdk$v"
    rm -rf "$out"
    mkdir -p "$out"
    echo "=== JDK $v ($("$home/bin/java" -version 2>&1 | sed -n 1p)), commit $commit, started $(date -u +%FT%TZ)"
    echo "    results: $out"
    start=$(date +%s)
    (cd "$out" && "$home/bin/java" -jar "$JAR" -m tough -r "$out/results" "$@" > "$out/jcstress.log" 2>&1)
    rc=$?
    secs=$(( $(date +%s) - start ))
    # The last progress line: "(Results: P planned; A passed, F failed, S soft errs, H hard errs)",
    # counted per test x JVM mode; F counts results with a FORBIDDEN outcome, S/H errors and crashes.
    results=$(grep -E 'Results: ' "$out/jcstress.log" | tail -1 | sed 's/^ *(//; s/)$//')
    nums=($(echo "$results" | grep -oE '[0-9]+'))
    failed=${nums[2]:-1}; soft=${nums[3]:-1}; hard=${nums[4]:-1}
    bad=$(( failed + soft + hard ))
    # "Failed tests: No matches." / "... N matching test results." in the final RUN RESULTS block
    tests=0
    for kind in "Failed tests" "Error tests" "All remaining tests"; do   # "Interesting" repeats tests listed elsewhere
        n=$(grep -E "^ *$kind:" "$out/jcstress.log" | tail -1 | grep -oE '[0-9]+ matching' | grep -oE '[0-9]+' || true)
        tests=$(( tests + ${n:-0} ))
    done
    echo "    exit $rc after ${secs} s; $tests tests; $results"
    summary+=("JDK $v: exit $rc, ${secs} s, $tests tests; $results")
    if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
        status=1
        echo "    FAILED: see $out/jcstress.log and $out/results/index.html" >&2
        sed -n '/RUN RESULTS:/,$p' "$out/jcstress.log" | head -40 >&2
    fi
done
echo
echo "=== summary (commit $commit, $(date -u +%FT%TZ))"
printf '  %s\n' "${summary[@]}"
exit $status
