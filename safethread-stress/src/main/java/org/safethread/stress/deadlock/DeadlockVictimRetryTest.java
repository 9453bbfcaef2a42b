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
 * Protocol: progress after a broken deadlock ({@code ThreadState.yieldsEntry},
 * {@code MonitorLock.mayTake}, the entry queue's wake-up of its first waiter).
 *
 * <p>The two actors close a cycle as in {@link DeadlockCycleTest}; the victim retries the same
 * nesting at once. Its partner was woken by the victim's release of the outer monitor but may
 * not have run yet. The victim must queue behind it rather than barge back into that monitor:
 * barging, it would hold its outer monitor again while the partner still holds the other, and
 * the retry would close the same cycle (the start of a livelock). Queued, the partner finishes
 * first and then wakes the victim, whose retry enters. r1/r2 = actor codes: 0 entered at the
 * first attempt, 1 lost the deadlock and the retry entered, 4 lost and the retry lost again, 2 an
 * entry hung (broken by the watchdog), 3 partner late; r3 = inner entries of both monitors.
 * <ul>
 *   <li>{@code 0, 1, 2} / {@code 1, 0, 2}: one victim, whose retry entered (ACCEPTABLE).</li>
 *   <li>{@code 3, 0, 1} / {@code 0, 3, 1}: no cycle was arranged (ACCEPTABLE_INTERESTING).</li>
 *   <li>any {@code 4}: the retry barged and deadlocked again (FORBIDDEN); any {@code 2}: a
 *       waiter queued behind another was never woken (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"0, 1, 2", "1, 0, 2"}, expect = ACCEPTABLE, desc = "one victim; its retry entered after the partner")
@Outcome(id = {"3, 0, 1", "0, 3, 1"}, expect = ACCEPTABLE_INTERESTING, desc = "partner late: no cycle was arranged")
@Outcome(id = {"4, .*", ".*, 4, .*"}, expect = FORBIDDEN, desc = "the victim's retry deadlocked again (barged back)")
@Outcome(id = {"2, .*", ".*, 2, .*"}, expect = FORBIDDEN, desc = "hung: a queued entry was never woken")
@Outcome(expect = FORBIDDEN, desc = "inconsistent outcome")
@State
public class DeadlockVictimRetryTest {
    static final int RETRY_LOST = 4;

    final Node a = Monitor.of(new Node());
    final Node b = Monitor.of(new Node());
    final Rendezvous rv = new Rendezvous();

    private static int attempt(Node outer, Node inner, Rendezvous rv) {
        int first = outer.outer(inner, rv);
        if (first != Node.VICTIM) {
            return first;
        }
        int retry = outer.retry(inner);
        return retry == Node.ENTERED ? Node.VICTIM : retry == Node.VICTIM ? RETRY_LOST : retry;
    }

    @Actor
    public void actor1(III_Result r) {
        r.r1 = attempt(a, b, rv);
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = attempt(b, a, rv);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = a.entries() + b.entries();
    }
}
