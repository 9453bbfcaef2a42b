package org.safethread.stress.monitor;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;
import org.safethread.stress.monitor.MonitorEntryWakeTest.Slow;
import org.safethread.stress.deadlock.Node;
import org.safethread.stress.support.HangWatchdog;

/**
 * Protocol: one monitor's entry queue shared by light and full registrations
 * ({@code MonitorLock.waitToEnter}). Fresh outermost entries register lightly and change the
 * queue under the monitor's queue lock alone; an entry by a thread that holds another monitor
 * registers fully, under the graph lock and then the queue lock, and goes first
 * ({@code holdingQueue}). The releaser reads the queue head ({@code firstWaiter}) with no lock.
 * Either way the head must be woken, the hand-off rule kept, and no entry lost.
 *
 * <p>Actor 1 makes three fresh calls into M; actor 2 holds N and calls into M from inside it,
 * three times. Every call stays inside for 20 microseconds, so that entrants really queue and
 * park. r1, r2 = the worst code of each actor's calls ({@link Node#ENTERED} 0, {@link Node#VICTIM}
 * 1: refused with no cycle, {@link Node#HUNG} 2: a lost wake-up broken by the watchdog); r3 = M's
 * entries (6). (Two actors: jcstress runs a test only with a CPU per actor, and CI machines may
 * have two.)
 */
@JCStressTest
@Outcome(id = "0, 0, 6", expect = ACCEPTABLE, desc = "every call entered, one at a time")
@Outcome(id = {"2, .*", ".*, 2, .*"}, expect = FORBIDDEN, desc = "hung: a parked entrant was never woken")
@Outcome(id = {"1, .*", ".*, 1, .*"}, expect = FORBIDDEN, desc = "false positive: an entry refused with no cycle")
@Outcome(expect = FORBIDDEN, desc = "lost update, or an entry lost")
@State
public class MonitorMixedEntryTest {
    /** Time inside: longer than an entrant's way to its park, so that queued entrants park. */
    private static final long NANOS_INSIDE = 20_000;
    private static final int CALLS = 3;

    /** The monitor actor 3 holds while it enters M. */
    public static class Outer {
        @MonitorMethod
        public int callInto(Slow m) {
            return watched(m);
        }
    }

    final Slow m = Monitor.of(new Slow());
    final Outer n = Monitor.of(new Outer());

    @Actor
    public void actor1(III_Result r) {
        int worst = Node.ENTERED;
        for (int i = 0; i < CALLS; i++) {
            worst = Math.max(worst, watched(m));
        }
        r.r1 = worst;
    }

    @Actor
    public void actor2(III_Result r) {
        int worst = Node.ENTERED;
        for (int i = 0; i < CALLS; i++) {
            worst = Math.max(worst, n.callInto(m));
        }
        r.r2 = worst;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = m.entries();
    }

    /** @return the code of one watched call of {@code m.work} */
    static int watched(Slow m) {
        HangWatchdog.Entry w = HangWatchdog.begin();
        try {
            m.work(NANOS_INSIDE);
            return w.fired() ? Node.HUNG : Node.ENTERED;
        } catch (DeadlockException e) {
            return w.fired() ? Node.HUNG : Node.VICTIM;
        } finally {
            HangWatchdog.end(w);
        }
    }
}
