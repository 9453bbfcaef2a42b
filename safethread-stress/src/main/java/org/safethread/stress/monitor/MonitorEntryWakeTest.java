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
import org.safethread.stress.deadlock.Node;
import org.safethread.stress.support.HangWatchdog;

/**
 * Protocol: the entry wake-up of a contended monitor entry ({@code MonitorLock.waitToEnter} and
 * {@code unlock}). A waiter arms its wake flag ({@code ThreadState.wantEntryWake}) only in its
 * park loop, right before the re-try that precedes each park (not when it joins the entry queue);
 * a releaser writes the lock word free, then reads the queue head and its flag and unparks it if
 * it wins the flag. Dekker's pattern on volatiles: either the waiter's re-try sees the lock free,
 * or the releaser sees the armed flag. A waiter that joined the queue but has not armed yet is
 * not woken by a release in between, and must find the lock free at its own re-try instead.
 *
 * <p>Both actors make three fresh calls in a row into one monitor whose method stays inside for
 * 20 microseconds (so that the other actor's entry, when it finds the monitor held, queues and
 * parks). r1/r2 = the
 * worst code of each actor's calls ({@link Node#ENTERED} 0, {@link Node#VICTIM} 1: refused with
 * nothing held, a false positive; {@link Node#HUNG} 2: parked for 3 s and broken by the hang
 * watchdog, a lost wake-up); r3 = the monitor's entries (6: mutual exclusion kept, no call lost).
 */
@JCStressTest
@Outcome(id = "0, 0, 6", expect = ACCEPTABLE, desc = "every call entered, one at a time")
@Outcome(id = {"2, .*", ".*, 2, .*"}, expect = FORBIDDEN, desc = "hung: a parked entrant was never woken")
@Outcome(id = {"1, .*", ".*, 1, .*"}, expect = FORBIDDEN, desc = "false positive: an entry was refused with no cycle")
@Outcome(expect = FORBIDDEN, desc = "lost update: two entrants inside at once")
@State
public class MonitorEntryWakeTest {
    /**
     * Time each call spends inside: longer than an entrant's way from a failed CAS to its park
     * (queue lock and light registration; about a microsecond), so that the other actor's
     * entry, when it finds the monitor held, really parks (with a shorter hold it got the monitor
     * at its re-try and never parked, and a mutant that never arms the wake-up passed).
     */
    private static final long NANOS_INSIDE = 20_000;
    /** Calls per actor: each one a fresh outermost entry, so each may queue and park anew. */
    private static final int CALLS = 3;

    /** The guarded state. */
    public static class Slow {
        private int entries;

        /** Spins for {@code nanos} inside the monitor, then counts the entry. */
        @MonitorMethod
        public void work(long nanos) {
            long start = System.nanoTime();
            while (System.nanoTime() - start < nanos) {
                Thread.onSpinWait();
            }
            entries++;
        }

        @MonitorMethod
        public int entries() {
            return entries;
        }
    }

    final Slow m = Monitor.of(new Slow());

    @Actor
    public void actor1(III_Result r) {
        r.r1 = calls(m);
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = calls(m);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = m.entries();
    }

    /** @return the worst code of {@link #CALLS} watched fresh calls */
    private static int calls(Slow m) {
        int worst = Node.ENTERED;
        for (int i = 0; i < CALLS; i++) {
            HangWatchdog.Entry w = HangWatchdog.begin();
            int code;
            try {
                m.work(NANOS_INSIDE);
                code = w.fired() ? Node.HUNG : Node.ENTERED;
            } catch (DeadlockException e) {
                code = w.fired() ? Node.HUNG : Node.VICTIM;
            } finally {
                HangWatchdog.end(w);
            }
            worst = Math.max(worst, code);
        }
        return worst;
    }
}
