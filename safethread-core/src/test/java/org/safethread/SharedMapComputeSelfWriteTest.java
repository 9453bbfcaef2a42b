package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code SharedMap.compute} function that writes its own key. {@code compute} is optimistic: it
 * runs its function again whenever the key's value changed while the function ran, so a function
 * that writes its own key changed it every time and {@code compute} spun for ever, silently
 * (these tests hung before the fix; {@code ConcurrentHashMap} holds the bin's lock and never
 * re-runs). Now each such write is refused with an {@code IllegalStateException} that says why,
 * before it changes anything; writes of other keys, and of the same key by other threads, are not.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedMapComputeSelfWriteTest {

    @Test
    void everyWriteOfItsOwnKeyFromAComputeFunctionIsRefusedAndChangesNothing() {
        List<Consumer<SharedMap<String, Integer>>> writes = List.of(
                m -> m.put("k", 100),
                m -> m.putIfAbsent("k", 100),
                m -> m.remove("k"),
                m -> m.remove("k", 1),
                m -> m.replace("k", 100),
                m -> m.replace("k", 1, 100),
                m -> m.compute("k", (k, v) -> 100));
        for (int i = 0; i < writes.size(); i++) {
            SharedMap<String, Integer> m = new SharedMap<>();
            m.put("k", 1);
            Consumer<SharedMap<String, Integer>> write = writes.get(i);
            AtomicInteger runs = new AtomicInteger();
            Throwable t = catchThrowable(() -> m.compute("k", (k, v) -> {
                runs.incrementAndGet();
                write.accept(m);
                return v + 1;
            }));
            assertThat(t).as("write %d", i).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("SharedMap key \"k\"").hasMessageContaining("free of side effects");
            assertThat(runs.get()).isEqualTo(1);
            assertThat(m.snapshot()).as("write %d", i).containsExactly(java.util.Map.entry("k", 1));
        }
    }

    @Test
    void aComputeIfAbsentOfItsOwnAbsentKeyIsRefusedToo() {
        SharedMap<String, Integer> m = new SharedMap<>();
        Throwable t = catchThrowable(() -> m.compute("k", (k, v) -> m.computeIfAbsent("k", kk -> 1) + 1));
        assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining("computeIfAbsent");
        assertThat(m.containsKey("k")).isFalse();
        m.put("k", 5); // present: a computeIfAbsent only reads it, which is fine
        assertThat(m.compute("k", (k, v) -> m.computeIfAbsent("k", kk -> 1) + v)).isEqualTo(10);
    }

    @Test
    void aComputeFunctionMayWriteOtherKeysAndReadItsOwn() {
        SharedMap<String, Integer> m = new SharedMap<>();
        assertThat(m.compute("k", (k, v) -> {
            m.put("other", 7);
            return m.get("other") + (m.get("k") == null ? 0 : 1);
        })).isEqualTo(7);
        assertThat(m.snapshot()).containsEntry("k", 7).containsEntry("other", 7);
        // nested computes of different keys, and the same key once the outer compute returned
        assertThat(m.compute("a", (k, v) -> m.compute("b", (kk, vv) -> 2) + 1)).isEqualTo(3);
        assertThat(m.compute("a", (k, v) -> v + 1)).isEqualTo(4);
    }

    @Test
    void anotherThreadsWritesOfTheKeyAreContentionNotRefused() throws Exception {
        SharedMap<String, Integer> m = new SharedMap<>();
        m.put("k", 0);
        CountDownLatch inFunction = new CountDownLatch(1);
        CountDownLatch written = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            try {
                inFunction.await();
                m.put("k", 100); // while the other thread's function runs: not refused
                written.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        writer.start();
        AtomicInteger runs = new AtomicInteger();
        int result = m.compute("k", (k, v) -> {
            if (runs.incrementAndGet() == 1) {
                inFunction.countDown();
                try {
                    written.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return v + 1;
        });
        writer.join();
        assertThat(result).isEqualTo(101); // ran again on the other thread's value
        assertThat(runs.get()).isEqualTo(2);
    }

    /** A value whose {@code equals} writes the key it is compared for (a side effect). */
    @Shareable
    static final class Meddler {
        final SharedMap<String, Object> map;
        final int id;

        Meddler(SharedMap<String, Object> map, int id) {
            this.map = map;
            this.id = id;
        }

        @Override
        public boolean equals(Object o) {
            map.put("k", new Meddler(map, id + 1)); // changes the value remove/replace compare with
            return o instanceof Meddler;
        }

        @Override
        public int hashCode() {
            return 1;
        }
    }

    /**
     * {@code remove(k, v)} and {@code replace(k, e, v)} call the value's {@code equals} outside
     * every lock and call it again when the value changed meanwhile: an {@code equals} that writes
     * the key looped the same way, and is refused the same way.
     */
    @Test
    void anEqualsThatWritesTheKeyItIsComparedForIsRefused() {
        SharedMap<String, Object> m = new SharedMap<>();
        Meddler first = new Meddler(m, 0);
        m.put("k", first);
        assertThat(catchThrowable(() -> m.remove("k", new Meddler(m, 0)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SharedMap.remove(key, value)");
        assertThat(catchThrowable(() -> m.replace("k", new Meddler(m, 0), "x")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("SharedMap.replace(key, expected, value)");
        assertThat(m.get("k")).isSameAs(first);
    }
}
