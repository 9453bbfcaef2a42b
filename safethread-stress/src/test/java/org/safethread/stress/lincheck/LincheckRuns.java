package org.safethread.stress.lincheck;

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
     * Stress for the objects model checking cannot drive (counted objects: see RefLincheckTest):
     * three times the scenarios and more runs of each, still a few seconds each.
     */
    static StressOptions stressOnly(Class<?> spec) {
        return stress(spec)
                .iterations(3 * ITERATIONS)
                .invocationsPerIteration(500);
    }

    static ModelCheckingOptions modelChecking(Class<?> spec) {
        return new ModelCheckingOptions()
                .iterations(ITERATIONS)
                .invocationsPerIteration(MODEL_INVOCATIONS)
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(spec);
    }
}
