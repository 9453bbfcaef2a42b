package org.safethread.stress.branch;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;
import org.safethread.Branch;
import org.safethread.stress.support.HangWatchdog;
import org.safethread.stress.support.Spin;

/**
 * Protocol: a join edge racing the child's monitor entry ({@code BranchCore.awaitChildren} ->
 * {@code WaitForGraph.await} registering the owner's join, whose blockers are the live children;
 * {@code WaitForGraph.waitToEnter} registering the child's entry into the monitor the owner
 * holds). Whichever registers second closes the cycle and must find it; the victim is always the
 * child's entry, never the join.
 *
 * <p>Actor 1, inside monitor M, opens a branch and forks a child that enters M when actor 2 says
 * go, then joins at once. r1: join threw a DeadlockException (1), returned (0), threw the hang
 * watchdog's exception (2). r2: the child's outcome (0 entered, 1 victim, 2 hung: the watchdog
 * broke its entry after 3 s). r3: entries into M by the child (the victim never entered).
 * <ul>
 *   <li>{@code 1, 1, 0}: the cycle was found and broken at the child's entry, and join rethrew the
 *       child's exception (ACCEPTABLE).</li>
 *   <li>Anything else (FORBIDDEN): a missed cycle (hung), the owner chosen, the child inside M
 *       while the owner held it.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "cycle found whichever closed it; the child's entry refused")
@Outcome(expect = FORBIDDEN, desc = "missed cycle, wrong victim, or two threads in one monitor")
@State
public class BranchJoinEdgeRaceTest {
    /** The monitor the owner holds while it joins. */
    public static class Holder {
        private int entries;

        @MonitorMethod
        public int openForkJoin(Holder self, AtomicBoolean go, AtomicInteger childOutcome) throws InterruptedException {
            try (Branch b = Branch.open()) {
                b.fork(() -> {
                    Spin.until(go::get, Spin.PARTNER_NANOS);
                    HangWatchdog.Entry w = HangWatchdog.begin();
                    try {
                        self.enter();
                        childOutcome.set(0);
                    } catch (DeadlockException e) {
                        childOutcome.set(w.fired() ? 2 : 1);
                        throw e;
                    } finally {
                        HangWatchdog.end(w);
                    }
                    return null;
                });
                try {
                    b.join();
                    return 0;
                } catch (DeadlockException e) {
                    return e.getMessage().startsWith("hang watchdog") ? 2 : 1;
                }
            }
        }

        @MonitorMethod
        public void enter() {
            entries++;
        }

        @MonitorMethod
        public int entries() {
            return entries;
        }
    }

    final Holder m = Monitor.of(new Holder());
    final AtomicBoolean go = new AtomicBoolean();
    final AtomicInteger childOutcome = new AtomicInteger(-1);

    @Actor
    public void owner(III_Result r) {
        try {
            r.r1 = m.openForkJoin(m, go, childOutcome);
        } catch (InterruptedException e) {
            r.r1 = 3;
        }
    }

    @Actor
    public void starter() {
        go.set(true);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r2 = childOutcome.get();
        r.r3 = m.entries();
    }
}
