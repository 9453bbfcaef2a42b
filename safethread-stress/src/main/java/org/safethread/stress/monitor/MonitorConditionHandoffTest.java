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
 * Protocol: the hand-off of a monitor to a condition waiter ({@code MonitorLock.handOff}: the
 * releasing holder grants the waiter by CAS and sets it as owner without unlocking, so no other
 * call can run between the exit that made the condition true and the waiter's return); contract
 * "when await returns normally the condition is true".
 *
 * <p>Actor 1 awaits "x is odd" (2 s timeout) and returns the x it then sees; actor 2 increments
 * x three times in three separate monitor calls (x: 1, 2, 3). A waiter woken at the exit of the
 * first increment must run before the second increment enters, so it sees 1, never 2. r1 = how
 * the wait ended, r2 = x seen on return.
 * <ul>
 *   <li>{@code 1, 1} / {@code 1, 3}: x was already odd, no wait (ACCEPTABLE).</li>
 *   <li>{@code 2, 1} / {@code 2, 3}: woken with x odd (ACCEPTABLE_INTERESTING).</li>
 *   <li>{@code _, 2} or {@code _, 0}: returned with the condition false — another call barged in
 *       between the grant and the waiter's return (FORBIDDEN).</li>
 *   <li>{@code 0, _}: timed out: a wake-up was missed (x ends odd, so a correct run always wakes;
 *       FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"1, 1", "1, 3"}, expect = ACCEPTABLE, desc = "x already odd when the waiter checked")
@Outcome(id = {"2, 1", "2, 3"}, expect = ACCEPTABLE_INTERESTING, desc = "woken and saw x odd (hand-off held)")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "missed wake-up: timed out although x ends odd")
@Outcome(expect = FORBIDDEN, desc = "returned from await with the condition false (a call barged in)")
@State
public class MonitorConditionHandoffTest {
    static final int TIMED_OUT = 0;
    static final int ALREADY = 1;
    static final int WOKEN = 2;

    /** A counter and a waiter for odd values. */
    public static class Counter {
        private int x;

        /** @return (ALREADY | WOKEN | TIMED_OUT) * 10 + x seen on return */
        @MonitorMethod
        public int awaitOdd() throws InterruptedException {
            if ((x & 1) == 1) {
                return ALREADY * 10 + x;
            }
            boolean held = Monitor.await(() -> (x & 1) == 1, Duration.ofSeconds(2));
            return (held ? WOKEN : TIMED_OUT) * 10 + x;
        }

        @MonitorMethod
        public void increment() {
            x++;
        }
    }

    final Counter counter = Monitor.of(new Counter());

    @Actor
    public void waiter(II_Result r) {
        try {
            int v = counter.awaitOdd();
            r.r1 = v / 10;
            r.r2 = v % 10;
        } catch (InterruptedException e) {
            r.r1 = -1;
        }
    }

    @Actor
    public void incrementer() {
        counter.increment();
        counter.increment();
        counter.increment();
    }
}
