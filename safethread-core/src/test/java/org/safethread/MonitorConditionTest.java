package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * Conditions (CONTRACT §1, "Conditions"): {@link Monitor#await} releases the monitor while
 * waiting and returns holding it with the condition true; conditions are re-evaluated when a
 * monitor method returns; waiters are woken one at a time, oldest first; waiting is
 * interruptible; timed waits return false on timeout; a condition that throws delivers the
 * exception to its waiter.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MonitorConditionTest {

    /** Probe threads started from inside monitor methods; joined after each test. */
    static final ConcurrentLinkedQueue<Worker> PROBES = new ConcurrentLinkedQueue<>();

    @AfterEach
    void joinProbes() throws Throwable {
        Worker w;
        while ((w = PROBES.poll()) != null) {
            w.joinAndCheck();
        }
    }

    public static class Gate {
        private Gate self;
        private boolean open;
        private boolean flagX;
        private boolean flagY;
        private boolean poisoned;
        private int tickets;
        private int waiting;
        private int touches;
        private final List<Integer> served = new ArrayList<>();

        @MonitorMethod
        public void setSelf(Gate g) {
            self = g;
        }

        @MonitorMethod
        public void open() {
            open = true;
        }

        @MonitorMethod
        public void openAndThrow() {
            open = true;
            throw new IllegalStateException("opened, then failed");
        }

        @MonitorMethod
        public void setFlags(boolean x, boolean y) {
            flagX = x;
            flagY = y;
        }

        @MonitorMethod
        public void poison() {
            poisoned = true;
        }

        @MonitorMethod
        public int touch() {
            return ++touches;
        }

        @MonitorMethod
        public int waiting() {
            return waiting;
        }

        @MonitorMethod
        public void addTickets(int n) {
            tickets += n;
        }

        @MonitorMethod
        public boolean stealTicket() {
            if (tickets > 0) {
                tickets--;
                return true;
            }
            return false;
        }

        @MonitorMethod
        public List<Integer> served() {
            return List.copyOf(served);
        }

        @MonitorMethod
        public void awaitOpen() throws InterruptedException {
            waiting++;
            Monitor.await(() -> open);
            waiting--;
        }

        @MonitorMethod
        public String awaitFlag(String which) throws InterruptedException {
            waiting++;
            Monitor.await(which.equals("x") ? () -> flagX : () -> flagY);
            waiting--;
            return which;
        }

        @MonitorMethod
        public void takeTicket(int id) throws InterruptedException {
            waiting++;
            Monitor.await(() -> tickets > 0);
            waiting--;
            if (tickets <= 0) {
                throw new AssertionError("await returned but the condition is false: tickets=" + tickets);
            }
            tickets--;
            served.add(id);
        }

        /** Waits; on interrupt, shows the monitor is held again and state is consistent. */
        @MonitorMethod
        public String awaitOpenCatchingInterrupt() throws InterruptedException {
            waiting++;
            try {
                Monitor.await(() -> open);
                waiting--;
                return "opened";
            } catch (InterruptedException e) {
                waiting--;
                int before = touches;
                String held = proveHeld();
                touches = before + 100; // a read-modify-write no other thread may interleave with
                return "interrupted, flag " + Thread.currentThread().isInterrupted() + ", " + held
                        + ", touches " + (touches - before);
            }
        }

        @MonitorMethod
        public String awaitOpenFor(long millis) throws InterruptedException {
            waiting++;
            long t0 = System.nanoTime();
            boolean r = Monitor.await(() -> open, Duration.ofMillis(millis));
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            waiting--;
            return r + ", " + (elapsedMillis >= millis ? "waited the timeout" : "returned early after "
                    + elapsedMillis + " ms") + ", " + proveHeld();
        }

        @MonitorMethod
        public String awaitPoisonable() throws InterruptedException {
            waiting++;
            try {
                Monitor.await(() -> {
                    if (poisoned) {
                        throw new IllegalStateException("poisoned");
                    }
                    return open;
                });
                return "opened";
            } catch (IllegalStateException e) {
                return "threw " + e.getMessage() + ", " + proveHeld();
            } finally {
                waiting--;
            }
        }

        @MonitorMethod
        public void awaitPoisonableUncaught() throws InterruptedException {
            waiting++;
            try {
                Monitor.await(() -> {
                    if (poisoned) {
                        throw new IllegalStateException("poisoned");
                    }
                    return open;
                });
            } finally {
                waiting--;
            }
        }

        /** Awaits inside a direct self-call (depth 2), then shows the outer call still holds. */
        @MonitorMethod
        public String nestedAwait(long timeoutMillis) throws InterruptedException {
            String inner = self.innerAwait(timeoutMillis);
            touches++;
            return inner + ", then " + proveHeld();
        }

        @MonitorMethod
        public String innerAwait(long timeoutMillis) throws InterruptedException {
            waiting++;
            try {
                if (timeoutMillis < 0) {
                    Monitor.await(() -> open);
                    return "opened";
                }
                return Monitor.await(() -> open, Duration.ofMillis(timeoutMillis)) ? "opened" : "timed out";
            } finally {
                waiting--;
            }
        }

        @MonitorMethod
        public String alreadyTrue() throws InterruptedException {
            Monitor.await(() -> true);
            boolean r = Monitor.await(() -> true, Duration.ZERO);
            return r + ", " + proveHeld();
        }

        @MonitorMethod
        public boolean zeroTimeout() throws InterruptedException {
            return Monitor.await(() -> open, Duration.ZERO) || Monitor.await(() -> open, Duration.ofMillis(-5));
        }

        @MonitorMethod
        public boolean awaitOpenForever() throws InterruptedException {
            waiting++;
            try {
                return Monitor.await(() -> open, Duration.ofSeconds(Long.MAX_VALUE)); // too long for nanos
            } finally {
                waiting--;
            }
        }

        @MonitorMethod
        public void conditionThrowsAtOnce() throws InterruptedException {
            Monitor.await(() -> {
                throw new UnsupportedOperationException("first evaluation");
            });
        }

        /**
         * Called inside a monitor method: a probe thread tries to enter this monitor and must
         * block. Returns "held" if it blocked and did not get in.
         */
        String proveHeld() {
            int before = touches;
            Worker probe = start("probe", () -> self.touch());
            PROBES.add(probe);
            try {
                awaitBlockedEntering(probe.thread);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return touches == before && !probe.finished() ? "held" : "NOT held";
        }
    }

    private static Gate gate() {
        Gate g = Monitor.of(new Gate());
        g.setSelf(g);
        return g;
    }

    /** Waits (bounded) until {@code n} threads are waiting inside {@code g}. */
    private static void awaitWaiting(Gate g, int n) throws InterruptedException {
        long deadline = System.nanoTime() + MonitorTesting.HANG.toNanos();
        while (g.waiting() != n) {
            assertThat(System.nanoTime()).as("%d waiters within %s", n, MonitorTesting.HANG).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    // ------------------------------------------------------------------ outside a monitor

    @Test
    void awaitOutsideAMonitorMethodRefuses() {
        assertThatThrownBy(() -> Monitor.await(() -> true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside a monitor");
        assertThatThrownBy(() -> Monitor.await(() -> false, Duration.ofMillis(1)))
                .isInstanceOf(IllegalStateException.class);
    }

    // ------------------------------------------------------------------ basic waking

    @Test
    void awaitReleasesTheMonitorAndAWaiterIsWokenWhenItsConditionBecomesTrue() throws Throwable {
        Gate g = gate();
        Worker w = start("waiter", g::awaitOpen);
        awaitWaiting(g, 1);
        // The monitor is free while the waiter waits: other calls get in (bounded).
        start("other", () -> g.touch()).joinAndCheck();
        assertThat(w.finished()).isFalse();
        g.open();
        w.joinAndCheck();
        assertThat(g.waiting()).isZero();
    }

    @Test
    void conditionsAreReEvaluatedWhenAMonitorMethodReturnsEvenByThrowing() throws Throwable {
        Gate g = gate();
        Worker w = start("waiter", g::awaitOpen);
        awaitWaiting(g, 1);
        assertThatThrownBy(g::openAndThrow).hasMessageContaining("opened, then failed");
        w.joinAndCheck();
    }

    @Test
    void alreadyTrueConditionReturnsAtOnceKeepingTheMonitor() throws Throwable {
        Gate g = gate();
        assertThat(g.alreadyTrue()).isEqualTo("true, held");
        assertThat(g.zeroTimeout()).isFalse();
    }

    @Test
    void aWaiterWhoseConditionHoldsIsWokenEvenIfAnOlderOneStillWaits() throws Throwable {
        Gate g = gate();
        Worker x = start("x", () -> g.awaitFlag("x"));
        awaitWaiting(g, 1);
        Worker y = start("y", () -> g.awaitFlag("y"));
        awaitWaiting(g, 2);
        g.setFlags(false, true);
        y.joinAndCheck();
        assertThat(x.finished()).isFalse();
        assertThat(g.waiting()).isEqualTo(1);
        g.setFlags(true, true);
        x.joinAndCheck();
    }

    @Test
    void waitersOnTheSameConditionAreWokenOldestFirst() throws Throwable {
        Gate g = gate();
        int n = 6;
        List<Worker> ws = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            ws.add(start("waiter-" + i, () -> g.takeTicket(id)));
            awaitWaiting(g, i + 1); // waiter i is queued before waiter i+1 starts
        }
        // One ticket at a time: each goes to the oldest waiter.
        g.addTickets(1);
        ws.get(0).joinAndCheck();
        assertThat(g.served()).containsExactly(0);
        g.addTickets(1);
        ws.get(1).joinAndCheck();
        assertThat(g.served()).containsExactly(0, 1);
        // The rest at once: woken one at a time, in arrival order.
        g.addTickets(n - 2);
        MonitorTesting.assertNoFailures(ws);
        assertThat(g.served()).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void whenAwaitReturnsTheConditionHoldsEvenWithBargingThreads() throws Throwable {
        Gate g = gate();
        int consumers = 3;
        int perConsumer = 200;
        AtomicInteger consumersLeft = new AtomicInteger(consumers);
        AtomicBoolean stop = new AtomicBoolean();
        List<Worker> cs = new ArrayList<>();
        for (int c = 0; c < consumers; c++) {
            int id = c;
            cs.add(start("consumer-" + c, () -> {
                try {
                    for (int i = 0; i < perConsumer; i++) {
                        g.takeTicket(id); // throws AssertionError if the condition is false on return
                    }
                } finally {
                    consumersLeft.decrementAndGet();
                }
            }));
        }
        // Bargers take tickets without waiting, racing the woken waiters.
        List<Worker> bs = new ArrayList<>();
        for (int b = 0; b < 2; b++) {
            bs.add(start("barger-" + b, () -> {
                while (!stop.get()) {
                    g.stealTicket();
                }
            }));
        }
        Worker producer = start("producer", () -> {
            while (consumersLeft.get() > 0) {
                g.addTickets(1);
                Thread.yield();
            }
        });
        MonitorTesting.assertNoFailures(cs);
        stop.set(true);
        producer.joinAndCheck();
        MonitorTesting.assertNoFailures(bs);
        assertThat(g.served()).hasSize(consumers * perConsumer);
    }

    // ------------------------------------------------------------------ interrupts and timeouts

    @Test
    void interruptingAWaiterGivesInterruptedExceptionWithTheMonitorHeldAgain() throws Throwable {
        Gate g = gate();
        String[] result = new String[1];
        Worker w = start("waiter", () -> result[0] = g.awaitOpenCatchingInterrupt());
        awaitWaiting(g, 1);
        w.thread.interrupt();
        w.joinAndCheck();
        assertThat(result[0]).isEqualTo("interrupted, flag false, held, touches 100");
        assertThat(g.waiting()).isZero();
        joinProbes();
        // The cancelled waiter is gone: opening later wakes nobody and breaks nothing.
        g.open();
        assertThat(g.touch()).isEqualTo(102); // +100 in the catch, +1 by the probe, +1 now
    }

    @Test
    void interruptStatusSetBeforeAwaitThrowsAtOnceWithTheMonitorHeld() throws Throwable {
        Gate g = gate();
        String[] result = new String[1];
        Worker w = start("waiter", () -> {
            Thread.currentThread().interrupt();
            result[0] = g.awaitOpenCatchingInterrupt();
        });
        w.joinAndCheck();
        assertThat(result[0]).isEqualTo("interrupted, flag false, held, touches 100");
    }

    @Test
    void timedAwaitReturnsFalseOnTimeoutWithTheMonitorHeld() throws Throwable {
        Gate g = gate();
        assertThat(g.awaitOpenFor(200)).isEqualTo("false, waited the timeout, held");
        assertThat(g.waiting()).isZero();
        // A timed waiter whose condition comes true in time returns true.
        String[] result = new String[1];
        Worker w = start("waiter", () -> result[0] = g.awaitOpenFor(TimeUnit.SECONDS.toMillis(20)));
        awaitWaiting(g, 1);
        g.open();
        w.joinAndCheck();
        assertThat(result[0]).startsWith("true, returned early").endsWith(", held");
    }

    @Test
    void timedAwaitWithAnEnormousTimeoutWaitsUntilTheConditionHolds() throws Throwable {
        Gate g = gate();
        boolean[] result = new boolean[1];
        Worker w = start("waiter", () -> result[0] = g.awaitOpenForever());
        awaitWaiting(g, 1);
        Thread.sleep(50);
        assertThat(w.finished()).as("an overflowing timeout must not expire at once").isFalse();
        g.open();
        w.joinAndCheck();
        assertThat(result[0]).isTrue();
    }

    @Test
    void awaitInsideADirectSelfCallReleasesFullyAndRestoresTheDepth() throws Throwable {
        Gate g = gate();
        String[] result = new String[1];
        Worker w = start("nested", () -> result[0] = g.nestedAwait(-1));
        awaitWaiting(g, 1);
        // Depth 2 inside, yet another thread gets in while it waits.
        start("other", () -> g.touch()).joinAndCheck();
        g.open();
        w.joinAndCheck();
        assertThat(result[0]).isEqualTo("opened, then held");
        // The outer exit released the monitor completely.
        start("after", () -> g.touch()).joinAndCheck();

        assertThat(g.nestedAwait(0)).isEqualTo("opened, then held"); // open already
        Gate g2 = gate();
        assertThat(g2.nestedAwait(50)).isEqualTo("timed out, then held");
        start("after-timeout", () -> g2.touch()).joinAndCheck();
    }

    // ------------------------------------------------------------------ conditions that throw

    @Test
    void aConditionThatThrowsDeliversTheExceptionToItsWaiterWithTheMonitorHeld() throws Throwable {
        Gate g = gate();
        String[] result = new String[1];
        Worker w = start("waiter", () -> result[0] = g.awaitPoisonable());
        awaitWaiting(g, 1);
        g.poison(); // evaluating the waiter's condition on exit throws: not to us, to the waiter
        w.joinAndCheck();
        assertThat(result[0]).isEqualTo("threw poisoned, held");
    }

    @Test
    void aConditionExceptionThatTheWaiterDoesNotCatchLeavesTheMonitorReleased() throws Throwable {
        Gate g = gate();
        Worker w = start("waiter", g::awaitPoisonableUncaught);
        awaitWaiting(g, 1);
        g.poison();
        Throwable t = w.joinAndGetFailure();
        assertThat(t).isInstanceOf(IllegalStateException.class).hasMessage("poisoned");
        start("after", () -> g.touch()).joinAndCheck();
        assertThat(g.waiting()).isZero();
    }

    @Test
    void aConditionThatThrowsOnItsFirstEvaluationThrowsFromAwait() throws Throwable {
        Gate g = gate();
        assertThatThrownBy(g::conditionThrowsAtOnce)
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("first evaluation");
        start("after", () -> g.touch()).joinAndCheck();
    }

    // ------------------------------------------------------------------ python-safethread's queue

    @Test
    void boundedQueueWithSeveralProducersAndConsumersLosesAndDuplicatesNothing() throws Throwable {
        MonitorWorkloads.boundedQueue(MonitorTesting.PLATFORM, 3, 3, 2000, 4);
    }
}
