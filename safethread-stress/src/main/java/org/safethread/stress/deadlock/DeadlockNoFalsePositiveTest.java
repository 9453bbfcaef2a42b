package org.safethread.stress.deadlock;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.Monitor;
import org.safethread.stress.support.Rendezvous;

/**
 * Protocol: the detector's "no false positives" argument ({@code WaitForGraph.detect}: racy reads
 * of monitor owners, stale registrations, the final re-try) together with {@code Monitor.leave}
 * (the left monitor is released — owner cleared — before the thread waits elsewhere).
 *
 * <p>Actor 1 holds A and enters B. Actor 2 holds B, meets actor 1 (so both hold their outer
 * monitor), then {@code Monitor.leave}s B and, outside it, enters A; afterwards it re-enters B.
 * Whatever the interleaving, actor 2 holds nothing while it waits for A, so no cycle can exist:
 * both must complete. r1/r2 = codes as in {@link Node} (0 entered, 1 DeadlockException, 2 hung,
 * 3 partner late), r3 = inner entries.
 * <ul>
 *   <li>{@code 0, 0, 2}: both entered (ACCEPTABLE).</li>
 *   <li>{@code 3, 0, 1} / {@code 0, 3, 1}: one actor gave up waiting 2 s for its partner
 *       (ACCEPTABLE_INTERESTING).</li>
 *   <li>any {@code 1}: a false deadlock was reported (FORBIDDEN); any {@code 2}: an entry hung
 *       — a lost wake-up around leave/re-entry (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "0, 0, 2", expect = ACCEPTABLE, desc = "both completed")
@Outcome(id = {"3, 0, 1", "0, 3, 1"}, expect = ACCEPTABLE_INTERESTING, desc = "partner late: nothing was tried")
@Outcome(id = {"1, .*", ".*, 1, .*"}, expect = FORBIDDEN, desc = "false positive: DeadlockException without a cycle")
@Outcome(id = {"2, .*", ".*, 2, .*"}, expect = FORBIDDEN, desc = "hung entry (lost wake-up), broken by the watchdog")
@Outcome(expect = FORBIDDEN, desc = "inconsistent outcome")
@State
public class DeadlockNoFalsePositiveTest {
    final Node a = Monitor.of(new Node());
    final Node b = Monitor.of(new Node());
    final Rendezvous rv = new Rendezvous();

    @Actor
    public void actor1(III_Result r) {
        r.r1 = a.outer(b, rv);
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = b.outerLeaving(a, rv);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = a.entries() + b.entries();
    }
}
