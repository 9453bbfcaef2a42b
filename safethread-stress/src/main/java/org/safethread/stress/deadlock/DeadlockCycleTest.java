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
 * Protocol: deadlock detection and breaking ({@code WaitForGraph.waitToEnter/detect/breakCycle}:
 * register under the graph lock, walk owner -> waitingFor, re-try, choose one victim; the
 * victim's {@code abortWith} verdict; {@code MonitorLock} entry queue and wake-up).
 *
 * <p>Two actors close the same cycle at the same moment: actor 1 holds A and enters B, actor 2
 * holds B and enters A; a {@link Rendezvous} inside the outer call makes both hold their outer
 * monitor before either enters the inner one. Exactly one must be the victim
 * ({@code DeadlockException}; it never entered, its outer call unwinds and releases), and the
 * other then enters. A missed detection would park both forever: the hang watchdog breaks such an
 * entry after 3 s and it shows up as {@code 2} (HUNG). r1/r2 = actor 1/2's code
 * (0 entered, 1 victim, 2 hung, 3 partner late), r3 = inner entries counted by A and B together.
 * <ul>
 *   <li>{@code 0, 1, 1} / {@code 1, 0, 1}: exactly one victim, the other entered (ACCEPTABLE).</li>
 *   <li>{@code 3, 0, 1} / {@code 0, 3, 1}: one actor waited 2 s for its partner in vain and gave
 *       up (no cycle was set up; the late one then entered freely) (ACCEPTABLE_INTERESTING; only
 *       under extreme scheduling delays).</li>
 *   <li>{@code 1, 1, _}: both victims (FORBIDDEN). {@code 0, 0, _}: no victim although both held
 *       their outer monitor — two threads inside one monitor (FORBIDDEN). Any {@code 2}: a
 *       deadlock was not detected, or a wake-up was lost (FORBIDDEN). A victim's inner call
 *       counted as entered (r3 != number of 0s) (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"0, 1, 1", "1, 0, 1"}, expect = ACCEPTABLE, desc = "exactly one victim; the other entered")
@Outcome(id = {"3, 0, 1", "0, 3, 1"}, expect = ACCEPTABLE_INTERESTING, desc = "partner late: no cycle was arranged")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both threads were made victims")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "no victim: both entered although each held the other's monitor")
@Outcome(id = {"2, .*", ".*, 2, .*"}, expect = FORBIDDEN, desc = "hung: the deadlock was not detected (watchdog broke it)")
@Outcome(expect = FORBIDDEN, desc = "inconsistent: entries do not match the outcomes")
@State
public class DeadlockCycleTest {
    final Node a = Monitor.of(new Node());
    final Node b = Monitor.of(new Node());
    final Rendezvous rv = new Rendezvous();

    @Actor
    public void actor1(III_Result r) {
        r.r1 = a.outer(b, rv);
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = b.outer(a, rv);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = a.entries() + b.entries();
    }
}
