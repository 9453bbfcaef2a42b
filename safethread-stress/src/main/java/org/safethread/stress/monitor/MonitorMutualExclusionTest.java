package org.safethread.stress.monitor;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * Protocol: monitor entry/exit ({@code MonitorLock}: CAS on the lock word, spin, then the entry
 * queue under the wait-for-graph lock; release CAS or hand-off).
 *
 * <p>Both actors run a non-atomic read-modify-write (plain read, then plain write of read + 1)
 * inside the same monitor. r1/r2 = the value each actor read, r3 = the final value.
 * <ul>
 *   <li>{@code 0, 1, 2} / {@code 1, 0, 2}: the calls ran one after the other (ACCEPTABLE).</li>
 *   <li>anything else, e.g. {@code 0, 0, 1}: both were inside at once and an update was lost
 *       (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"0, 1, 2", "1, 0, 2"}, expect = ACCEPTABLE, desc = "serialized: one call saw the other's write")
@Outcome(expect = FORBIDDEN, desc = "two threads inside the monitor at once: lost update")
@State
public class MonitorMutualExclusionTest {

    /** The guarded state: a plain counter with a deliberately non-atomic increment. */
    public static class Counter {
        private int value;

        /** @return the value read before writing it + 1 */
        @MonitorMethod
        public int increment() {
            int v = value;
            value = v + 1;
            return v;
        }

        @MonitorMethod
        public int get() {
            return value;
        }
    }

    final Counter counter = Monitor.of(new Counter());

    @Actor
    public void actor1(III_Result r) {
        r.r1 = counter.increment();
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = counter.increment();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = counter.get();
    }
}
