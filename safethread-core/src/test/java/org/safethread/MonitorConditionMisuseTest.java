package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorTesting.await;
import static org.safethread.MonitorTesting.start;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * Conditions that break the rule "a side-effect-free test of the monitor's state" by calling
 * into another monitor, or by waiting or leaving inside a condition.
 *
 * <p>The hang these tests guard against: a waiter holds {@code outer} and waits on {@code inner};
 * the thread that makes its condition true evaluates it on its exit from {@code inner}, still
 * holding {@code inner}, and the condition enters {@code outer}, held by the parked waiter.
 * Condition waits are not in the wait-for graph (CONTRACT §1), so no cycle would ever be found:
 * the releaser would block for ever holding {@code inner}, and so would every later caller of
 * {@code inner}. The entry is refused instead (the condition is the waiter's code, re-entering a
 * monitor the waiter holds further out), and the waiter gets the {@code DeadlockException}.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MonitorConditionMisuseTest {

    /** An outer monitor a waiter holds while it waits on the inner one. */
    public static class Outer {
        private boolean ready = true;
        private int calls;

        @MonitorMethod
        public boolean ready() {
            calls++;
            return ready;
        }

        @MonitorMethod
        public int calls() {
            return calls;
        }

        /** Waits inside {@code inner} for {@code flag && self.ready()}, holding this monitor. */
        @MonitorMethod
        public String waitInside(Inner inner, Outer self, CountDownLatch waiting) throws InterruptedException {
            return inner.awaitFlagAnd(self, waiting);
        }

        /** As {@link #waitInside}, letting the refusal propagate. */
        @MonitorMethod
        public void waitInsideThrowing(Inner inner, Outer self, CountDownLatch waiting) throws InterruptedException {
            inner.awaitFlagAndThrow(self, waiting);
        }

        /** Waits inside {@code inner} until it is opened, holding this monitor. */
        @MonitorMethod
        public String holdAndWaitForOpen(Inner inner, CountDownLatch waiting) throws InterruptedException {
            return inner.awaitOpen(waiting);
        }

        /** Holds this monitor until {@code release} is counted down. */
        @MonitorMethod
        public void holdUntil(CountDownLatch holding, CountDownLatch release) {
            holding.countDown();
            MonitorTesting.await(release);
        }
    }

    public static class Inner {
        private boolean flag;
        private boolean open;
        private int waiters;

        /** Short-circuits on the waiter's own first evaluation; a releaser evaluates outer.ready(). */
        @MonitorMethod
        public String awaitFlagAnd(Outer outer, CountDownLatch waiting) throws InterruptedException {
            waiters++;
            waiting.countDown();
            try {
                Monitor.await(() -> flag && outer.ready());
                return "woke";
            } catch (DeadlockException e) {
                return "refused: " + e.getMessage();
            } finally {
                waiters--;
            }
        }

        @MonitorMethod
        public void awaitFlagAndThrow(Outer outer, CountDownLatch waiting) throws InterruptedException {
            waiting.countDown();
            Monitor.await(() -> flag && outer.ready());
        }

        @MonitorMethod
        public String awaitOpen(CountDownLatch waiting) throws InterruptedException {
            waiters++;
            waiting.countDown();
            try {
                Monitor.await(() -> open);
                return "opened";
            } finally {
                waiters--;
            }
        }

        /** Once the flag is set, the condition calls {@code relay}, whose exit evaluates its own waiters' conditions. */
        @MonitorMethod
        public String awaitFlagThenRelay(Relay relay, CountDownLatch waiting) throws InterruptedException {
            waiting.countDown();
            Monitor.await(() -> {
                if (!flag) {
                    return false;
                }
                relay.setFlag();
                return true;
            });
            return "woke";
        }

        /** The caller's own condition enters {@code outer} at once. */
        @MonitorMethod
        public void awaitOuterReady(Outer outer) throws InterruptedException {
            Monitor.await(outer::ready);
        }

        @MonitorMethod
        public void setFlag() {
            flag = true;
        }

        @MonitorMethod
        public void setOpen() {
            open = true;
        }

        @MonitorMethod
        public int waiters() {
            return waiters;
        }

        @MonitorMethod
        public void awaitInsideCondition() throws InterruptedException {
            Monitor.await(() -> {
                try {
                    Monitor.await(() -> true);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return true;
            });
        }

        @MonitorMethod
        public void leaveInsideCondition() throws InterruptedException {
            Monitor.await(() -> Monitor.leave(() -> Boolean.TRUE));
        }
    }

    /** The shape: the condition re-enters the monitor its own waiter holds further out. */
    @Test
    void aConditionThatEntersAMonitorItsWaiterHoldsIsRefusedAndTheWaiterGetsTheException() throws Throwable {
        Outer outer = Monitor.of(new Outer());
        Inner inner = Monitor.of(new Inner());
        CountDownLatch waiting = new CountDownLatch(1);
        String[] result = new String[1];
        Worker waiter = start("cond-waiter", () -> result[0] = outer.waitInside(inner, outer, waiting));
        await(waiting);
        // The releaser enters inner only once the waiter's await released it: the waiter is queued.
        Worker releaser = start("cond-releaser", inner::setFlag);
        releaser.joinAndCheck(); // returned normally: the refusal went to the waiter
        waiter.joinAndCheck();
        assertThat(result[0]).startsWith("refused: ")
                .contains("cond-releaser", "cond-waiter", outer.toString(), inner.toString(), "side-effect-free");
        assertThat(outer.calls()).as("the refused entry never ran outer.ready()").isZero();
        assertThat(inner.waiters()).isZero();
        start("after", inner::setOpen).joinAndCheck(); // inner is free again
    }

    @Test
    void theRefusalNamesTheCycleAsData() throws Throwable {
        Outer outer = Monitor.of(new Outer());
        Inner inner = Monitor.of(new Inner());
        CountDownLatch waiting = new CountDownLatch(1);
        DeadlockException[] caught = new DeadlockException[1];
        Worker waiter = start("cycle-waiter", () -> {
            try {
                outer.waitInsideThrowing(inner, outer, waiting);
            } catch (DeadlockException e) {
                caught[0] = e;
            }
        });
        await(waiting);
        start("cycle-releaser", inner::setFlag).joinAndCheck();
        waiter.joinAndCheck();
        assertThat(caught[0]).isNotNull();
        assertThat(caught[0].cycle()).hasSize(2);
        assertThat(caught[0].cycle().get(0).threadName()).isEqualTo("cycle-releaser");
        assertThat(caught[0].cycle().get(0).holds()).isEqualTo(inner.toString());
        assertThat(caught[0].cycle().get(0).waitsFor()).isEqualTo(outer.toString());
        assertThat(caught[0].cycle().get(1).threadName()).isEqualTo("cycle-waiter");
        assertThat(caught[0].cycle().get(1).holds()).isEqualTo(outer.toString());
        assertThat(caught[0].cycle().get(1).waitsFor()).isEqualTo(inner.toString());
    }

    /** The condition enters a monitor held by another waiter of the same monitor (another group). */
    @Test
    void aConditionThatEntersAMonitorHeldByAnotherWaiterIsRefusedAndThatWaiterGoesOn() throws Throwable {
        Outer outer = Monitor.of(new Outer());
        Inner inner = Monitor.of(new Inner());
        CountDownLatch holderWaiting = new CountDownLatch(1);
        String[] held = new String[1];
        Worker holder = start("outer-holder", () -> held[0] = outer.holdAndWaitForOpen(inner, holderWaiting));
        await(holderWaiting);
        CountDownLatch waiting = new CountDownLatch(1);
        String[] result = new String[1];
        Worker waiter = start("flag-waiter", () -> result[0] = inner.awaitFlagAnd(outer, waiting));
        await(waiting);
        awaitWaiters(inner, 2);
        start("flag-releaser", inner::setFlag).joinAndCheck();
        waiter.joinAndCheck();
        assertThat(result[0]).startsWith("refused: ").contains("flag-releaser", "outer-holder", outer.toString());
        assertThat(holder.finished()).as("the other waiter still waits for its own condition").isFalse();
        start("opener", inner::setOpen).joinAndCheck();
        holder.joinAndCheck();
        assertThat(held[0]).isEqualTo("opened");
    }

    /** The waiter's own first evaluation is held to the same rule as a releaser's. */
    @Test
    void aWaitersOwnEvaluationThatWouldWaitForAnotherWaiterIsRefusedToIt() throws Throwable {
        Outer outer = Monitor.of(new Outer());
        Inner inner = Monitor.of(new Inner());
        CountDownLatch holderWaiting = new CountDownLatch(1);
        Worker holder = start("outer-holder", () -> outer.holdAndWaitForOpen(inner, holderWaiting));
        await(holderWaiting);
        // On a worker: a hang there fails the test (bounded join) instead of hanging the runner.
        Throwable refused = start("own-evaluator", () -> inner.awaitOuterReady(outer)).joinAndGetFailure();
        assertThat(refused).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("own-evaluator")
                .hasMessageContaining("outer-holder")
                .hasMessageContaining(outer.toString());
        assertThat(holder.finished()).isFalse();
        start("opener", inner::setOpen).joinAndCheck();
        holder.joinAndCheck();
    }

    /** A third monitor, whose own waiter's condition enters outer. */
    public static class Relay {
        private boolean flag;

        @MonitorMethod
        public String awaitFlagAnd(Outer outer, CountDownLatch waiting) throws InterruptedException {
            waiting.countDown();
            try {
                Monitor.await(() -> flag && outer.ready());
                return "woke";
            } catch (DeadlockException e) {
                return "refused: " + e.getMessage();
            }
        }

        @MonitorMethod
        public void setFlag() {
            flag = true;
        }
    }

    /** Nested evaluations: inner's condition returns from relay, whose waiter's condition enters outer. */
    @Test
    void aNestedEvaluationThatWouldWaitForAWaiterOfAnOuterEvaluationIsRefused() throws Throwable {
        Outer outer = Monitor.of(new Outer());
        Inner inner = Monitor.of(new Inner());
        Relay relay = Monitor.of(new Relay());
        // outer-holder: holds outer, waits on inner until it is opened (stays false here).
        CountDownLatch holderWaiting = new CountDownLatch(1);
        String[] held = new String[1];
        Worker holder = start("outer-holder", () -> held[0] = outer.holdAndWaitForOpen(inner, holderWaiting));
        await(holderWaiting);
        // relay-waiter: waits on relay for flag && outer.ready().
        CountDownLatch relayWaiting = new CountDownLatch(1);
        String[] relayed = new String[1];
        Worker relayWaiter = start("relay-waiter", () -> relayed[0] = relay.awaitFlagAnd(outer, relayWaiting));
        await(relayWaiting);
        // inner-waiter: waits on inner; its condition, once the flag is set, calls relay.setFlag().
        CountDownLatch innerWaiting = new CountDownLatch(1);
        String[] innerResult = new String[1];
        Worker innerWaiter = start("inner-waiter",
                () -> innerResult[0] = inner.awaitFlagThenRelay(relay, innerWaiting));
        await(innerWaiting);
        // The releaser sets inner's flag. Its exit evaluates inner's conditions: outer-holder's is
        // false; inner-waiter's calls relay.setFlag(), whose exit evaluates relay-waiter's
        // condition, which would wait for outer, held by outer-holder, a waiter of inner.
        start("releaser", inner::setFlag).joinAndCheck();
        relayWaiter.joinAndCheck();
        innerWaiter.joinAndCheck();
        assertThat(relayed[0]).startsWith("refused: ").contains("releaser", "outer-holder", inner.toString());
        assertThat(innerResult[0]).isEqualTo("woke");
        assertThat(holder.finished()).isFalse();
        start("opener", inner::setOpen).joinAndCheck();
        holder.joinAndCheck();
        assertThat(held[0]).isEqualTo("opened");
    }

    /** No false positive: a condition may wait for a monitor whose holder is running. */
    @Test
    void aConditionThatEntersAMonitorHeldByARunningThreadWaitsForIt() throws Throwable {
        Outer outer = Monitor.of(new Outer());
        Inner inner = Monitor.of(new Inner());
        CountDownLatch waiting = new CountDownLatch(1);
        String[] result = new String[1];
        Worker waiter = start("plain-waiter", () -> result[0] = inner.awaitFlagAnd(outer, waiting));
        await(waiting);
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Worker holder = start("running-holder", () -> outer.holdUntil(holding, release));
        await(holding);
        Worker releaser = start("plain-releaser", inner::setFlag);
        MonitorTesting.awaitBlockedEntering(releaser.thread, outer); // evaluating, waiting for outer
        assertThat(waiter.finished()).isFalse();
        release.countDown();
        holder.joinAndCheck();
        releaser.joinAndCheck();
        waiter.joinAndCheck();
        assertThat(result[0]).isEqualTo("woke");
    }

    @Test
    void awaitAndLeaveInsideAConditionAreRefused() {
        Inner inner = Monitor.of(new Inner());
        assertThatThrownBy(inner::awaitInsideCondition)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Monitor.await called while evaluating a Monitor.await condition");
        assertThatThrownBy(inner::leaveInsideCondition)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Monitor.leave called while evaluating a Monitor.await condition");
        inner.setOpen(); // the monitor is free again
    }

    private static void awaitWaiters(Inner inner, int n) throws InterruptedException {
        long deadline = System.nanoTime() + MonitorTesting.HANG.toNanos();
        while (inner.waiters() != n) {
            assertThat(System.nanoTime()).as("%d waiters within %s", n, MonitorTesting.HANG).isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
