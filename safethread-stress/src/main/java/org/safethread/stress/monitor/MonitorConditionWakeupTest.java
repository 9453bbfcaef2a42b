package org.safethread.stress.monitor;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * Protocol: condition waits ({@code Conditions.await}: append a waiter, release with hand-off,
 * detach, park until GRANTED) against the re-evaluation of conditions at the exit of a monitor
 * method ({@code MonitorLock.release -> handOff}); the waiter's CANCELLED/GRANTED CAS.
 *
 * <p>Actor 1 awaits {@code set} inside a monitor method with a 2 s timeout (far beyond any
 * scheduling delay, so a timeout can only mean the wake-up was missed); actor 2 sets it in
 * another monitor method, whose exit must wake the waiter. r1 = how the wait ended, r2 = whether
 * the flag was set when the waiter returned (1).
 * <ul>
 *   <li>{@code 1, 1}: the flag was already set, no wait (ACCEPTABLE).</li>
 *   <li>{@code 2, 1}: waited and was woken by the setter's exit (ACCEPTABLE_INTERESTING: the
 *       race this test is about).</li>
 *   <li>{@code 0, _}: the wait timed out: the signal of an exit was missed (FORBIDDEN).</li>
 *   <li>{@code _, 0}: returned "condition holds" with the flag clear (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "flag already set when the waiter checked")
@Outcome(id = "2, 1", expect = ACCEPTABLE_INTERESTING, desc = "waited, then woken by the setter's exit")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "missed wake-up: the wait timed out after 2 s")
@Outcome(expect = FORBIDDEN, desc = "returned with the condition false")
@State
public class MonitorConditionWakeupTest {
    static final int TIMED_OUT = 0;
    static final int ALREADY = 1;
    static final int WOKEN = 2;

    /** A flag and a waiter for it. */
    public static class Flag {
        private boolean set;

        /** @return ALREADY, WOKEN or TIMED_OUT, times 10, plus 1 if the flag is set on return */
        @MonitorMethod
        public int awaitSet() throws InterruptedException {
            if (set) {
                return ALREADY * 10 + 1;
            }
            boolean held = Monitor.await(() -> set, Duration.ofSeconds(2));
            return (held ? WOKEN : TIMED_OUT) * 10 + (set ? 1 : 0);
        }

        @MonitorMethod
        public void set() {
            set = true;
        }
    }

    final Flag flag = Monitor.of(new Flag());

    @Actor
    public void waiter(II_Result r) {
        try {
            int v = flag.awaitSet();
            r.r1 = v / 10;
            r.r2 = v % 10;
        } catch (InterruptedException e) {
            r.r1 = -1;
        }
    }

    @Actor
    public void setter() {
        flag.set();
    }
}
