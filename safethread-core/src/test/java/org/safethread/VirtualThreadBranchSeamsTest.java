package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

/**
 * {@link FeatureSeamsTest}'s branch seams with virtual children (JDK 21+): a cancellation reaches
 * a virtual child in every kind of library wait, a virtual child entering its owner's monitor or
 * space is a deadlock broken, and hundreds of virtual children pass messages through one monitor.
 */
@EnabledForJreRange(min = JRE.JAVA_21)
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VirtualThreadBranchSeamsTest {
    private static final long CANCEL_BOUND_MS = 2_000;

    /** {@code Thread.ofVirtual().factory()}, by reflection (the tests compile for Java 17). */
    static ThreadFactory virtualThreads() throws ReflectiveOperationException {
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        return (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
    }

    public static class Box {
        private final ArrayDeque<String> items = new ArrayDeque<>();

        @MonitorMethod
        public void send(String s) {
            items.add(s);
        }

        @MonitorMethod
        public String receive() throws InterruptedException {
            Monitor.await(() -> !items.isEmpty());
            return items.poll();
        }

        @MonitorMethod
        public int touch() {
            return 1;
        }

        @MonitorMethod
        public int forkInto(Box other) throws Exception {
            try (Branch b = Branch.open(virtualThreads())) {
                Branch.Child<Integer> c = b.fork(other::touch);
                b.join();
                return c.get();
            }
        }
    }

    private static void cancelledPromptly(Callable<Object> body) throws Exception {
        try (Branch b = Branch.open(virtualThreads())) {
            Branch.Child<Object> c = b.fork(body);
            Thread.sleep(200);
            long t0 = System.nanoTime();
            b.cancel();
            b.join();
            assertThat(c.state()).as("failure: %s", c.failure()).isEqualTo(Branch.Child.State.CANCELLED);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(CANCEL_BOUND_MS);
        }
    }

    @Test
    void cancellationReachesAVirtualChildInEveryKindOfWait() throws Exception {
        Box box = Monitor.of(new Box());
        DeathQueue<String> q = new DeathQueue<>();
        cancelledPromptly(box::receive);
        cancelledPromptly(q::take);
        cancelledPromptly(() -> q.poll(Duration.ofMinutes(1)));
        cancelledPromptly(() -> {
            try (Branch inner = Branch.open(virtualThreads())) {
                inner.fork(box::receive);
                inner.fork(() -> {
                    Thread.sleep(60_000);
                    return null;
                });
                inner.join();
            }
            return null;
        });
    }

    @Test
    void aVirtualChildEnteringItsOwnersMonitorOrSpaceIsADeadlockBroken() {
        Box box = Monitor.of(new Box());
        assertThat(catchThrowable(() -> box.forkInto(box))).isInstanceOf(DeadlockException.class);
        MonitorSpace space = MonitorSpace.create("virtual-seams");
        Box x = space.monitor(new Box());
        Box y = space.monitor(new Box());
        assertThat(catchThrowable(() -> x.forkInto(y))).isInstanceOf(DeadlockException.class);
        assertThat(y.touch()).isEqualTo(1);
    }

    @Test
    void manyVirtualChildrenPassMessagesThroughOneMonitor() throws Exception {
        Box box = Monitor.of(new Box());
        try (Branch b = Branch.open(virtualThreads())) {
            for (int i = 0; i < 500; i++) {
                b.fork(box::receive);
            }
            for (int i = 0; i < 500; i++) {
                String m = "m" + i;
                b.fork(() -> box.send(m));
            }
            b.join();
        }
    }
}
