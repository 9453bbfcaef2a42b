package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.VIRTUAL;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.safethread.MonitorTesting.Worker;

/**
 * Monitors with virtual threads (CONTRACT §1, last rule; JDK 21+): the counter, the bounded
 * queue and the AB/BA deadlock, on virtual threads created reflectively (the tests compile with
 * {@code --release 17}).
 */
@EnabledForJreRange(min = JRE.JAVA_21)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VirtualThreadMonitorTest {

    @Test
    void theStarterMakesVirtualThreads() throws Throwable {
        Worker w = start(VIRTUAL, "probe", () -> assertThat(MonitorTesting.isVirtual(Thread.currentThread())).isTrue());
        w.joinAndCheck();
        assertThat(MonitorTesting.isVirtual(w.thread)).isTrue();
    }

    @Test
    void counterTickedTwentyTimesByTenVirtualThreadsEndsAt200() throws Throwable {
        MonitorWorkloads.counter(VIRTUAL);
    }

    @Test
    void boundedQueueWithVirtualProducersAndConsumersLosesAndDuplicatesNothing() throws Throwable {
        MonitorWorkloads.boundedQueue(VIRTUAL, 4, 4, 2000, 4);
    }

    @Test
    void abBaWithVirtualThreadsHasExactlyOneVictimEveryRound() throws Throwable {
        MonitorWorkloads.AbBaResult r = MonitorWorkloads.abBa(VIRTUAL, 1000, new String[] {"v-ab", "v-ba"});
        assertThat(r.deadlocksBrokenDelta()).isEqualTo(1000);
    }

    @Test
    void aMonitorHeldByAParkedVirtualThreadDoesNotPinItsCarrier() throws Throwable {
        // More virtual threads than carriers block entering one monitor whose holder is parked on a
        // latch; if entry pinned carriers, the thread that releases the latch (also virtual) could
        // not run, and this would hang (bounded by the joins).
        Holder holder = Monitor.of(new Holder());
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Worker h = start(VIRTUAL, "holder", () -> holder.hold(held, release));
        MonitorTesting.await(held);
        List<Worker> waiters = new ArrayList<>();
        int n = 4 * Runtime.getRuntime().availableProcessors() + 4;
        for (int i = 0; i < n; i++) {
            waiters.add(start(VIRTUAL, "waiter-" + i, holder::touch));
        }
        for (Worker w : waiters) {
            MonitorTesting.awaitBlockedEntering(w.thread, holder);
        }
        start(VIRTUAL, "releaser", release::countDown).joinAndCheck();
        h.joinAndCheck();
        MonitorTesting.assertNoFailures(waiters);
        assertThat(holder.touches()).isEqualTo(n);
    }

    public static class Holder {
        private int touches;

        @MonitorMethod
        public void hold(CountDownLatch held, CountDownLatch release) {
            held.countDown();
            MonitorTesting.await(release);
        }

        @MonitorMethod
        public void touch() {
            touches++;
        }

        @MonitorMethod
        public int touches() {
            return touches;
        }
    }

    @Test
    void theDeadlockMessageIdentifiesUnnamedVirtualThreads() throws Throwable {
        // Virtual threads have no name by default. "The message names every thread": with no
        // name to give, it must still say which threads (e.g. by id), not leave a blank.
        MonitorWorkloads.abBa(VIRTUAL, 1, null);
        DeadlockException e = unnamedDeadlock();
        String msg = e.getMessage();
        for (DeadlockException.Link l : e.cycle()) {
            assertThat(l.threadName()).isEmpty();
            assertThat(msg).as("message identifies thread #%d: %s", l.threadId(), msg).contains("#" + l.threadId());
        }
    }

    /**
     * {@code MonitorConditionMisuseTest}'s first shape on virtual threads: a releaser evaluating a
     * condition that would wait for a monitor its parked (virtual) waiter holds is refused, and
     * the waiter gets the {@code DeadlockException} from {@code await}.
     */
    @Test
    void aConditionThatWouldWaitForItsParkedVirtualWaitersMonitorIsRefused() throws Throwable {
        MonitorConditionMisuseTest.Outer outer = Monitor.of(new MonitorConditionMisuseTest.Outer());
        MonitorConditionMisuseTest.Inner inner = Monitor.of(new MonitorConditionMisuseTest.Inner());
        CountDownLatch waiting = new CountDownLatch(1);
        String[] result = new String[1];
        Worker waiter = start(VIRTUAL, "v-cond-waiter", () -> result[0] = outer.waitInside(inner, outer, waiting));
        MonitorTesting.await(waiting);
        start(VIRTUAL, "v-cond-releaser", inner::setFlag).joinAndCheck();
        waiter.joinAndCheck();
        assertThat(result[0]).startsWith("refused: ").contains("v-cond-releaser", "v-cond-waiter");
    }

    /** One AB/BA between unnamed virtual threads; returns the victim's exception. */
    private static DeadlockException unnamedDeadlock() throws Throwable {
        java.util.concurrent.CyclicBarrier both = new java.util.concurrent.CyclicBarrier(2);
        MonitorWorkloads.Acc a = Monitor.of(new MonitorWorkloads.AccImpl(both), MonitorWorkloads.Acc.class);
        MonitorWorkloads.Acc b = Monitor.of(new MonitorWorkloads.AccImpl(both), MonitorWorkloads.Acc.class);
        Worker w0 = start(VIRTUAL, null, () -> a.poke(b));
        Worker w1 = start(VIRTUAL, null, () -> b.poke(a));
        Throwable f0 = w0.joinAndGetFailure();
        Throwable f1 = w1.joinAndGetFailure();
        assertThat((f0 == null ? 0 : 1) + (f1 == null ? 0 : 1)).isEqualTo(1);
        Throwable f = f0 != null ? f0 : f1;
        assertThat(f).isInstanceOf(DeadlockException.class);
        return (DeadlockException) f;
    }
}
