package org.safethread.stress.lincheck;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;

import org.jetbrains.lincheck.datastructures.ManagedStrategyGuarantee;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;

/**
 * The sizes every Lincheck test here runs with, in one place so that the whole suite's time can
 * be budgeted (CI: all Lincheck tests within about 2 minutes on 2 cores; see docs/testing.md).
 * Model checking is the expensive part: one interleaving of a scenario through the runtime's
 * instrumented code costs about 25 ms here, against well under 1 ms for a stress invocation.
 *
 * <p>{@code -Dlincheck.iterations=N} changes the number of scenarios per test, for a longer local
 * run (or a quick one while developing).
 */
final class LincheckRuns {
    /** Scenarios per test; each scenario is a fresh random set of operations. */
    static final int ITERATIONS = Integer.getInteger("lincheck.iterations", 8);
    /** Stress: how often each scenario is run on real threads. */
    static final int STRESS_INVOCATIONS = 300;
    /** Model checking: how many interleavings of each scenario are explored. */
    static final int MODEL_INVOCATIONS = 100;

    private LincheckRuns() {
    }

    static StressOptions stress(Class<?> spec) {
        return new StressOptions()
                .iterations(ITERATIONS)
                .invocationsPerIteration(STRESS_INVOCATIONS)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(spec);
    }

    /**
     * Stress for counted objects (Ref, DeathQueue, WeakKeyMap), which were stress-only until model
     * checking could drive them (see RefLincheckTest): three times the scenarios and more runs of
     * each, still a few seconds each.
     */
    static StressOptions stressOnly(Class<?> spec) {
        return stress(spec)
                .iterations(3 * ITERATIONS)
                .invocationsPerIteration(500);
    }

    /**
     * The runtime's plumbing, which the model checker leaves alone (an IGNORED analysis section:
     * no switch points, no events, no tracking of the static memory it touches):
     * {@code org.safethread.internal.runtime} (the per-thread state and its registry, the
     * statistics counters, settings) and {@code org.safethread.internal.share} (shareability
     * checks, which cache per class and read annotations by reflection). Without them, Lincheck
     * 3.7 instruments that static state, records it in its memory snapshot and rewinds it after
     * every interleaving ({@code SnapshotTracker.restoreValues}): it failed with
     * {@code ConcurrentModificationException}/{@code NullPointerException} there, or with
     * {@code InaccessibleObjectException} reading {@code ConcurrentHashMap.ASHIFT}, or spun for
     * minutes in the JDK's annotation parsing ({@code AnnotationParser} -> {@code Proxy} ->
     * {@code ConcurrentHashMap.get}) under the first shareability check. Neither package holds a
     * protocol under test: what they do is per-thread or a statistic, and every interleaving of
     * the objects under test (maps, monitors, conditions, wait-for graph, counts) is still
     * explored. Also left alone: {@code ReachWalk}/{@code CoreRules} (the reachability check
     * of a weak map's value against its key, a reflective walk with per-class plans cached in
     * static maps). Analysed, its static caches were rewound between interleavings, and a later
     * {@code WeakKeyMap.put} found {@code Integer} refused as "contents safethread cannot
     * inspect" (the plan cache left inconsistent), an error no real run can produce. Also
     * {@code DeathCounts}: the registry of per-thread death counters (a statistic), whose static
     * array is compacted in place when ended threads' counters are folded. When a fold fell inside
     * an interleaving, the rewind put back the old {@code size} over the compacted array, and the
     * next registration read a null counter below {@code size} ({@code RefLincheckTest} in a
     * clean-clone CI run, 2026-12-01: "Non-determinism found", an NPE in {@code foldEnded}),
     * which no real run can produce (every change of that array and its size is under one lock).
     */
    static final String[] IGNORED_PACKAGES = {"org.safethread.internal.runtime.", "org.safethread.internal.share.",
            "org.safethread.internal.finalizer.ReachWalk", "org.safethread.internal.finalizer.CoreRules",
            "org.safethread.internal.refcount.DeathCounts"};

    /**
     * Analysed although in an ignored package: the runtime's {@code Parking} (and its nested
     * blocker), through which monitor conditions, branch joins, pending keys and the wait-for
     * graph park. The model checker switches threads at a {@code LockSupport.park} it sees; in an
     * ignored section the park was a real one, the interleaving it was part of never resumed, and
     * the run failed as "The execution has hung" ({@code MonitorQueueHandOffLincheckTest} in the
     * clean-clone CI run after {@code Parking} came in, 2026-12-01). It holds no static state.
     */
    static final String[] ANALYSED_CLASSES = {"org.safethread.internal.runtime.Parking"};

    private static ManagedStrategyGuarantee runtimePlumbingIgnored() {
        return forClasses(name -> {
            for (String a : ANALYSED_CLASSES) {
                if (name.equals(a) || name.startsWith(a + "$")) {
                    return false;
                }
            }
            for (String p : IGNORED_PACKAGES) {
                if (name.startsWith(p)) {
                    return true;
                }
            }
            return false;
        }).allMethods().ignore();
    }

    static ModelCheckingOptions modelChecking(Class<?> spec) {
        return new ModelCheckingOptions()
                .addGuarantee(runtimePlumbingIgnored())
                .iterations(ITERATIONS)
                .invocationsPerIteration(MODEL_INVOCATIONS)
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(spec);
    }
}
