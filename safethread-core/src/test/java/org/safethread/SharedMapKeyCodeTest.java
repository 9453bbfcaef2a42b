package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.start;

import java.lang.reflect.Field;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.deadlock.WaitForGraph;

/**
 * Keys' and values' {@code hashCode} and {@code equals} are user code (a {@code @Shareable}
 * class, or a record with such a component). Naming a key in a deadlock message must not call
 * them while the runtime's global wait-for graph lock is held (a slow or blocking
 * {@code hashCode} would stall every thread's deadlock detection, one that enters a monitor would
 * wait inside the graph); and the conditional writes must not call a value's {@code equals}
 * under a lock of the map ("no user code runs under a lock of the map"), where a slow or blocking
 * one holds up writers of other keys.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedMapKeyCodeTest {
    private static final ReentrantLock GRAPH_LOCK = graphLock();
    private static final AtomicInteger CALLS_UNDER_GRAPH_LOCK = new AtomicInteger();

    private static ReentrantLock graphLock() {
        try {
            Field f = WaitForGraph.class.getDeclaredField("LOCK");
            f.setAccessible(true);
            return (ReentrantLock) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** An immutable key whose hashCode and equals note whether the graph lock is held. */
    @Shareable
    static final class Key {
        private final String name;

        Key(String name) {
            this.name = name;
        }

        @Override
        public int hashCode() {
            if (GRAPH_LOCK.isHeldByCurrentThread()) {
                CALLS_UNDER_GRAPH_LOCK.incrementAndGet();
            }
            return name.hashCode();
        }

        @Override
        public boolean equals(Object o) {
            if (GRAPH_LOCK.isHeldByCurrentThread()) {
                CALLS_UNDER_GRAPH_LOCK.incrementAndGet();
            }
            return o instanceof Key && ((Key) o).name.equals(name);
        }
    }

    @Test
    void aDeadlockMessageNamesUserKeysWithoutCallingThemUnderTheGraphLock() throws Throwable {
        CALLS_UNDER_GRAPH_LOCK.set(0);
        SharedMap<Key, String> m = new SharedMap<>();
        CyclicBarrier bothPending = new CyclicBarrier(2);
        AtomicInteger deadlocks = new AtomicInteger();
        String[] message = new String[1];
        Worker a = start("A", () -> {
            try {
                m.computeIfAbsent(new Key("k1"), k -> {
                    MonitorTesting.await(bothPending);
                    return "1+" + m.computeIfAbsent(new Key("k2"), kk -> "2byA");
                });
            } catch (DeadlockException e) {
                deadlocks.incrementAndGet();
                message[0] = e.getMessage();
            }
        });
        Worker b = start("B", () -> {
            try {
                m.computeIfAbsent(new Key("k2"), k -> {
                    MonitorTesting.await(bothPending);
                    return "2+" + m.computeIfAbsent(new Key("k1"), kk -> "1byB");
                });
            } catch (DeadlockException e) {
                deadlocks.incrementAndGet();
                message[0] = e.getMessage();
            }
        });
        a.joinAndCheck();
        b.joinAndCheck();
        assertThat(deadlocks.get()).isEqualTo(1);
        String k1 = "SharedMap key (" + Key.class.getName() + ", hash " + Integer.toHexString("k1".hashCode()) + ")";
        String k2 = "SharedMap key (" + Key.class.getName() + ", hash " + Integer.toHexString("k2".hashCode()) + ")";
        assertThat(message[0]).contains(k1).contains(k2);
        assertThat(CALLS_UNDER_GRAPH_LOCK.get()).as("key hashCode/equals calls under the graph lock").isZero();
    }

    /** A value whose equals blocks until released: a stand-in for any slow or blocking user equals. */
    @Shareable
    static final class SlowEquals {
        static final CountDownLatch ENTERED = new CountDownLatch(2);
        static final CountDownLatch RELEASE = new CountDownLatch(1);
        private final String text;

        SlowEquals(String text) {
            this.text = text;
        }

        @Override
        public boolean equals(Object o) {
            ENTERED.countDown();
            try {
                RELEASE.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return o instanceof SlowEquals && ((SlowEquals) o).text.equals(text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }
    }

    @Test
    void conditionalWritesCompareValuesOutsideEveryLockOfTheMap() throws Throwable {
        // "AaAa", "BBBB" and "AaBB" have the same hash code: one bin of the ConcurrentHashMap underneath
        assertThat("AaAa".hashCode()).isEqualTo("BBBB".hashCode()).isEqualTo("AaBB".hashCode());
        SharedMap<String, Object> m = new SharedMap<>();
        m.put("AaAa", new SlowEquals("x"));
        m.put("BBBB", new SlowEquals("x"));
        Worker remover = start("remover", () -> assertThat(m.remove("AaAa", new SlowEquals("x"))).isTrue());
        Worker replacer = start("replacer", () -> assertThat(m.replace("BBBB", new SlowEquals("x"), "y")).isTrue());
        try {
            assertThat(SlowEquals.ENTERED.await(10, TimeUnit.SECONDS)).as("both compare values now").isTrue();
            // Both comparisons are running user code. A writer of another key of the same bin
            // must not wait for them.
            CountDownLatch written = new CountDownLatch(1);
            Worker writer = start("writer", () -> {
                m.put("AaBB", "other"); // another key of their bin
                written.countDown();
            });
            assertThat(written.await(10, TimeUnit.SECONDS)).as("a write of the same bin while a value's equals runs")
                    .isTrue();
            SlowEquals.RELEASE.countDown();
            writer.joinAndCheck();
        } finally {
            SlowEquals.RELEASE.countDown();
        }
        remover.joinAndCheck();
        replacer.joinAndCheck();
        assertThat(m.snapshot()).isEqualTo(java.util.Map.of("BBBB", "y", "AaBB", "other"));
    }
}
