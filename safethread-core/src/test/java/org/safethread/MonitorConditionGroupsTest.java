package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * A release evaluates each distinct condition once (issue #13): waiters on the same lambda with
 * the same captured values share one evaluation; different captured values are different
 * conditions; the oldest waiter whose condition holds is still the one woken.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MonitorConditionGroupsTest {

    /** Counts condition evaluations; written under the monitor, read by the test thread after joins. */
    static final AtomicInteger EVALUATIONS = new AtomicInteger();

    public static class Counter {
        private int value;
        private int waiting;
        private final List<String> served = new ArrayList<>();

        @MonitorMethod
        public void add(int n) {
            value += n;
        }

        @MonitorMethod
        public int waiting() {
            return waiting;
        }

        @MonitorMethod
        public void touch() {
        }

        /** Waits until value reaches at least {@code n} (the lambda captures this and n). */
        @MonitorMethod
        public void awaitAtLeast(int n, String who) throws InterruptedException {
            waiting++;
            Monitor.await(() -> {
                EVALUATIONS.incrementAndGet();
                return value >= n;
            });
            waiting--;
            served.add(who);
        }

        @MonitorMethod
        public List<String> served() {
            return List.copyOf(served);
        }
    }

    private static void awaitWaiting(Counter c, int n) throws InterruptedException {
        long deadline = System.nanoTime() + MonitorTesting.HANG.toNanos();
        while (c.waiting() < n) {
            assertThat(System.nanoTime()).as("waiters queued").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    void manyWaitersOnTheSameConditionCostOneEvaluationPerRelease() throws Throwable {
        Counter c = Monitor.of(new Counter());
        List<Worker> ws = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String who = "w" + i;
            ws.add(start(who, () -> c.awaitAtLeast(1000, who))); // 1000: boxed anew by each lambda
        }
        awaitWaiting(c, 50);
        int before = EVALUATIONS.get();
        for (int i = 0; i < 10; i++) {
            c.touch();
        }
        assertThat(EVALUATIONS.get() - before).as("evaluations for 10 releases with 50 waiters on one condition")
                .isEqualTo(10);
        c.add(1000);
        MonitorTesting.assertNoFailures(ws);
        List<String> served = c.served();
        assertThat(served).hasSize(50);
    }

    @Test
    void differentCapturedValuesAreDifferentConditionsAndTheOldestReadyWaiterWins() throws Throwable {
        Counter c = Monitor.of(new Counter());
        List<Worker> ws = new ArrayList<>();
        ws.add(start("needs-10", () -> c.awaitAtLeast(10, "needs-10")));
        awaitWaiting(c, 1);
        ws.add(start("needs-5-a", () -> c.awaitAtLeast(5, "needs-5-a")));
        awaitWaiting(c, 2);
        ws.add(start("needs-5-b", () -> c.awaitAtLeast(5, "needs-5-b")));
        awaitWaiting(c, 3);
        int before = EVALUATIONS.get();
        c.touch();
        assertThat(EVALUATIONS.get() - before).as("two distinct conditions, one evaluation each").isEqualTo(2);
        c.add(5); // the 5-waiters, oldest first; the 10-waiter stays
        long deadline = System.nanoTime() + MonitorTesting.HANG.toNanos();
        while (c.served().size() < 2) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(1);
        }
        assertThat(c.served()).containsExactly("needs-5-a", "needs-5-b");
        c.add(5);
        MonitorTesting.assertNoFailures(ws);
        assertThat(c.served()).containsExactly("needs-5-a", "needs-5-b", "needs-10");
    }

    @Test
    void aTimedOutWaiterLeavesItsGroupAndTheOthersStillGetIn() throws Throwable {
        Counter c = Monitor.of(new Counter());
        List<Worker> ws = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String who = "w" + i;
            ws.add(start(who, () -> c.awaitAtLeast(3, who)));
            awaitWaiting(c, i + 1); // queued in this order
        }
        ws.get(2).thread.interrupt(); // cancels its wait: InterruptedException, leaves the group
        Throwable t = ws.get(2).joinAndGetFailure();
        assertThat(t).isInstanceOf(InterruptedException.class);
        c.add(3);
        for (int i = 0; i < 5; i++) {
            if (i != 2) {
                ws.get(i).joinAndCheck();
            }
        }
        assertThat(c.served()).containsExactly("w0", "w1", "w3", "w4");
    }
}
