package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.start;

import java.lang.reflect.Field;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.deadlock.WaitForGraph;

/**
 * A key's {@code hashCode} and {@code equals} are user code (a {@code @Shareable} class, or a
 * record with such a component). The map calls them where {@code ConcurrentHashMap} does, on the
 * caller's thread; naming a key in a deadlock message must not call them again while the
 * runtime's global wait-for graph lock is held (a slow or blocking {@code hashCode} would stall
 * every thread's deadlock detection, one that enters a monitor would wait inside the graph).
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
}
