#!/usr/bin/env bash
# Runs every safethread benchmark against its peers and prints a Markdown summary.
#
#   Exact command (from the repository root, on a quiet machine):
#     mvn -B -pl safethread-bench -am package -DskipTests      # once; this script builds nothing
#     safethread-bench/run-benchmarks.sh [RESULTS_DIR]         # default: results/bench-<timestamp>
#
# Environment: JAVA (default: java on PATH), BENCH_JAR (default: safethread-bench/target/benchmarks.jar),
# FORKS (default 2: forks for the micro-benchmarks), BENCH_GROUPS (default: all of "layout monitor-call
# monitor-creation monitor-contended monitor-independent bank retry-crowd conditions refcount sharedmap deadlock finalize branch branch-virtual
# collector"; branch-virtual runs on JDK 21+ only), SMOKE=1 (1 fork, 1 x 1 s warm-up, 2 x 1 s measurement: checks
# that everything runs, numbers meaningless). On a quiet 2-core machine the nine groups of 2026-11-30 took 27.5 minutes
# at FORKS=3 (the script prints the elapsed time). Each group writes JMH JSON (<group>.json) and the JMH console text (<group>.txt);
# the layout report is layout.md; the summary table is summary.md (also printed at the end).
# A group that fails is reported and the others still run.
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA="${JAVA:-java}"
JAR="${BENCH_JAR:-$HERE/target/benchmarks.jar}"
FORKS="${FORKS:-2}"
BENCH_GROUPS="${BENCH_GROUPS:-layout monitor-call monitor-creation monitor-contended monitor-independent bank retry-crowd conditions refcount sharedmap deadlock finalize branch branch-virtual collector}"
SMOKE="${SMOKE:-0}"
OUT="${1:-results/bench-$(date +%Y%m%d-%H%M%S)}"

if [[ ! -f "$JAR" ]]; then
    echo "no $JAR: build it first with: mvn -B -pl safethread-bench -am package -DskipTests" >&2
    exit 2
fi
mkdir -p "$OUT"
START=$(date +%s)
FAILED=()

{
    echo "# safethread-bench run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "java: $("$JAVA" -version 2>&1 | head -1)"
    echo "cpus: $(nproc 2>/dev/null || echo '?')   load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
    echo "git: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo '?')"
} > "$OUT/environment.txt"

selected() {
    [[ " $BENCH_GROUPS " == *" $1 "* ]]
}

# run NAME REGEX JMH-OPTIONS...
run() {
    local name="$1" regex="$2"
    shift 2
    selected "$name" || return 0
    if [[ "$SMOKE" == 1 ]]; then
        set -- -f 1 -wi 1 -w 1s -i 2 -r 1s
    fi
    echo "== $name ($(( $(date +%s) - START ))s elapsed)"
    if ! "$JAVA" -jar "$JAR" "$regex" "$@" -rf json -rff "$OUT/$name.json" 2>&1 | tee "$OUT/$name.txt"; then
        echo "!! $name failed; see $OUT/$name.txt" >&2
        FAILED+=("$name")
    fi
}

# Memory layout (JOL), not JMH.
if selected layout; then
    echo "== layout"
    "$JAVA" -Djdk.attach.allowAttachSelf=true -cp "$JAR" org.safethread.bench.Layout > "$OUT/layout.md" 2>&1 \
        || FAILED+=("layout")
fi

# Micro-benchmarks: ~8 s per fork each (warm-up 3 x 1 s, measurement 5 x 1 s).
run monitor-call   'org\.safethread\.bench\.MonitorCallBench\.'      -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
run monitor-creation 'org\.safethread\.bench\.MonitorCreationBench\.'  -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
run monitor-contended 'org\.safethread\.bench\.ContendedMonitorBench\.' -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
run monitor-independent 'org\.safethread\.bench\.IndependentMonitorBench\.' -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
run bank           'org\.safethread\.bench\.BankBench\.'             -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
# 10,000 threads per invocation, single shot (about 1 s each): deadlock retries under a crowd.
run retry-crowd    'org\.safethread\.bench\.RetryCrowdBench\.'       -f "$FORKS"
run conditions     'org\.safethread\.bench\.ConditionBench\.'        -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
run refcount       'org\.safethread\.bench\.(RefCountBench|PoolHandOffBench)\.' -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
run sharedmap      'org\.safethread\.bench\.SharedMapBench\.'        -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
# Latency distributions (thousands of samples per iteration) and finalization throughput.
run deadlock       'org\.safethread\.bench\.DeadlockBench\.'         -f "$FORKS" -wi 2 -w 1s -i 5 -r 1s
run finalize       'org\.safethread\.bench\.FinalizeBench\.'         -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
# Branches: 1,000 children per invocation; virtual threads and StructuredTaskScope (preview) on JDK 21+.
run branch         'org\.safethread\.bench\.BranchBench\.(branch1000|threads1000|wallCheck)$' -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s
if "$JAVA" -XshowSettings:properties -version 2>&1 | grep -Eq 'java\.specification\.version = (2[1-9]|[3-9][0-9])'; then
    run branch-virtual 'org\.safethread\.bench\.BranchBench\.(branch1000Virtual|threads1000Virtual|sts1000Virtual)$' \
        -f "$FORKS" -wi 3 -w 1s -i 5 -r 1s -jvmArgsAppend --enable-preview
fi
# Single-shot collections of 10^6 objects: each invocation builds its garbage first (~0.5-1 s).
run collector      'org\.safethread\.bench\.CollectorBench\.'        -f "$FORKS" -wi 3 -i 10

shopt -s nullglob
JSONS=("$OUT"/*.json)
: > "$OUT/summary.md"
if (( ${#JSONS[@]} )); then
    python3 "$HERE/summarize.py" "${JSONS[@]}" > "$OUT/summary.md" || FAILED+=("summary")
fi
if [[ -f "$OUT/layout.md" ]]; then
    {
        echo
        echo "## Memory layout"
        echo
        grep '^|' "$OUT/layout.md" || true
        echo
        grep '^Out of line' "$OUT/layout.md" || true
    } >> "$OUT/summary.md"
fi

echo
cat "$OUT/summary.md"
echo
echo "Results in $OUT ($(( $(date +%s) - START ))s)."
if (( ${#FAILED[@]} )); then
    echo "FAILED: ${FAILED[*]}" >&2
    exit 1
fi
