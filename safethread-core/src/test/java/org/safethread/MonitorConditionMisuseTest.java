package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Conditions that break the rule "a side-effect-free test of the monitor's state" by calling
 * into another monitor.
 */
class MonitorConditionMisuseTest {

    /** An outer monitor the waiter holds while it waits on the inner one. */
    public static class Outer {
        private boolean ready;

        @MonitorMethod
        public boolean ready() {
            return ready;
        }

        @MonitorMethod
        public void waitInside(Inner inner, Outer self, CountDownLatch waiting) throws InterruptedException {
            inner.awaitBoth(self, waiting);
        }
    }

    public static class Inner {
        private boolean flag;

        @MonitorMethod
        public void awaitBoth(Outer outer, CountDownLatch waiting) throws InterruptedException {
            waiting.countDown();
            // Short-circuits on the waiter's own first evaluation; a releaser evaluates outer.ready().
            Monitor.await(() -> flag && outer.ready());
        }

        @MonitorMethod
        public void setFlag() {
            flag = true;
        }
    }

    /**
     * The waiter holds {@code outer} and waits on {@code inner}; the thread that sets the flag
     * evaluates the waiter's condition on its exit from {@code inner}, holding it, and the
     * condition enters {@code outer}, held by the parked waiter. Condition waits are not in the
     * wait-for graph, so nothing is detected: the releaser blocks for ever holding {@code inner},
     * and so does every later caller of {@code inner}. Expected instead: a loud error (e.g. an
     * IllegalStateException delivered to the waiter, "a condition may not enter another monitor")
     * and both threads going on.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    @Disabled("hangs: a condition evaluated by a releaser that enters another monitor held by the parked waiter "
            + "deadlocks undetected. A refusal must be checked on every monitor entry made while evaluating a "
            + "condition (a field read on the reviewed entry fast path), or only on the contended path (then it "
            + "refuses only sometimes, including waits that end today), or the wait-for graph must count a releaser as holding the monitor whose conditions it evaluates and a parked condition waiter as waiting for it (then the releaser is the victim); left for the lead (s7-review2 report)")
    void aConditionThatEntersAnotherMonitorHeldByTheWaiterDoesNotHangTheReleaser() throws Exception {
        Outer outer = Monitor.of(new Outer());
        Inner inner = Monitor.of(new Inner());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch waiting = new CountDownLatch(1);
            Future<?> waiter = pool.submit(() -> {
                outer.waitInside(inner, outer, waiting);
                return null;
            });
            assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100); // let the waiter park
            Future<?> releaser = pool.submit(inner::setFlag);
            releaser.get(5, TimeUnit.SECONDS); // hangs today
            waiter.cancel(true);
        } finally {
            pool.shutdownNow();
        }
    }
}
