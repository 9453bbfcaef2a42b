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

/**
 * Protocol: the entry fast path with each thread's own monitor stack ({@code ProxySupport.enter}:
 * the caller's {@code MonitorStack}, a thread-local of the monitor layer, then the CAS on the lock
 * word, the owner write and the push; the direct re-entry check in {@code enterSlow} reads the
 * owner and the caller's stack top).
 *
 * <p>The monitor is entered once by the thread that builds the state; then both actors make a
 * call that re-enters the same monitor directly (through its proxy, passed in as an argument) and
 * does a non-atomic increment at each level. Were an entry pushed on another thread's stack, or
 * the owner seen wrong, the direct re-entry (which requires the monitor on top of the caller's
 * own stack and the caller as owner) would be refused with a {@code DeadlockException} (-1), or
 * would wait; were two threads inside at once, an update would be lost. r1/r2 = the value each
 * actor's inner call read (-1: refused), r3 = the final value.
 * <ul>
 *   <li>{@code 1, 3, 4} / {@code 3, 1, 4}: the calls ran one after the other, each re-entry accepted (ACCEPTABLE).</li>
 *   <li>anything else: a refused re-entry or a lost update (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"1, 3, 4", "3, 1, 4"}, expect = ACCEPTABLE, desc = "serialized; each direct re-entry found the monitor on its own stack")
@Outcome(expect = FORBIDDEN, desc = "a re-entry refused (the entry went on another stack) or a lost update")
@State
public class MonitorOwnStackTest {

    /** The guarded state: a plain counter with a deliberately non-atomic increment. */
    public static class Counter {
        private int value;

        /**
         * Increments, then re-enters {@code self} (this object's own monitor) and increments again.
         *
         * @return the value the inner call read, or -1 if the re-entry was refused
         */
        @MonitorMethod
        public int nested(Counter self) {
            int v = value;
            value = v + 1;
            try {
                return self.increment();
            } catch (DeadlockException e) {
                return -1;
            }
        }

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

    public MonitorOwnStackTest() {
        counter.get(); // a third thread held it first
    }

    @Actor
    public void actor1(III_Result r) {
        r.r1 = counter.nested(counter);
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = counter.nested(counter);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = counter.get();
    }
}
