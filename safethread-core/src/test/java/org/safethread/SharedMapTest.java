package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.map.PendingKey;

/**
 * SharedMap (CONTRACT §7): checks at the door, refusals that change nothing, atomic operations,
 * pending keys invisible to readers, computeIfAbsent's mapping run once per absent key outside any
 * lock, and its waits as wait-for edges: recursive and crossed computations end in exactly one
 * {@link DeadlockException} and no hang.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SharedMapTest {

    record Point(int x, int y) {
    }

    record Named(String name, Object payload) {
    }

    // ------------------------------------------------------------------ the door

    @Test
    void refusesUnshareableValuesAndKeysLeavingTheMapUnchanged() {
        SharedMap<Object, Object> m = new SharedMap<>();
        m.put("a", 1);
        List<Runnable> refused = List.of(
                () -> m.put("a", new ArrayList<>()),
                () -> m.put(new ArrayList<>(), 2),
                () -> m.put("b", new int[1]),
                () -> m.putIfAbsent("b", new ArrayList<>()),
                () -> m.replace("a", new ArrayList<>()),
                () -> m.replace("a", 1, new ArrayList<>()),
                () -> m.put("b", new Named("n", new ArrayList<>())),
                () -> m.computeIfAbsent("b", k -> new ArrayList<>()),
                () -> m.compute("a", (k, v) -> new ArrayList<>()),
                () -> m.compute(new Object(), (k, v) -> 3));
        for (Runnable r : refused) {
            assertThatThrownBy(r::run).isInstanceOf(UnshareableException.class).hasMessageStartingWith("SharedMap.")
                    .hasMessageContaining("is not shareable");
            assertThat(m.snapshot()).isEqualTo(Map.of("a", 1));
            assertThat(m.size()).isEqualTo(1);
            assertThat(m.containsKey("b")).isFalse();
        }
    }

    @Test
    void refusalMessageNamesOperationPositionAndClass() {
        SharedMap<String, Object> m = new SharedMap<>();
        assertThatThrownBy(() -> m.put("k", new ArrayList<>()))
                .hasMessageStartingWith("SharedMap.put: value (java.util.ArrayList) is not shareable");
        assertThatThrownBy(() -> m.computeIfAbsent("k", k -> new HashMap<>()))
                .hasMessageStartingWith("SharedMap.computeIfAbsent: value (java.util.HashMap) is not shareable");
        assertThatThrownBy(() -> m.put("k", new Named("x", new ArrayList<>())))
                .hasMessageContaining("component payload");
    }

    @Test
    void nullsAreRefusedWithNullPointerException() {
        SharedMap<String, String> m = new SharedMap<>();
        m.put("a", "1");
        List<Runnable> refused = List.of(() -> m.put(null, "x"), () -> m.put("b", null), () -> m.get(null),
                () -> m.containsKey(null), () -> m.putIfAbsent("b", null), () -> m.remove(null),
                () -> m.remove("a", null), () -> m.replace("a", null), () -> m.replace("a", null, "2"),
                () -> m.replace("a", "1", null), () -> m.computeIfAbsent(null, k -> "v"),
                () -> m.computeIfAbsent("b", null), () -> m.compute(null, (k, v) -> "v"),
                () -> m.compute("a", null));
        for (Runnable r : refused) {
            assertThatThrownBy(r::run).isInstanceOf(NullPointerException.class);
            assertThat(m.snapshot()).isEqualTo(Map.of("a", "1"));
        }
    }

    @Test
    void acceptsShareableKeysAndValues() {
        SharedMap<Object, Object> m = new SharedMap<>();
        m.put(new Point(1, 2), List.of("x", new Point(3, 4)));
        m.put(new Named("n", Map.of("k", 1)), Monitor.of(new Counter()));
        m.put("map", new SharedMap<>()); // a SharedMap is shareable itself
        assertThat(m.get(new Point(1, 2))).isEqualTo(List.of("x", new Point(3, 4)));
        assertThat(m.size()).isEqualTo(3);
        assertThat(Shareability.isShareable(m)).isTrue();
        assertThat(m.snapshot()).hasSize(3);
        assertThatThrownBy(() -> m.snapshot().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    public static class Counter {
        private int n;

        @MonitorMethod
        public int next() {
            return ++n;
        }
    }

    // ------------------------------------------------------------------ single-threaded semantics against a model

    @Test
    void operationsMatchAHashMapModel() {
        Random rnd = new Random(42);
        SharedMap<Integer, Integer> m = new SharedMap<>();
        Map<Integer, Integer> model = new HashMap<>();
        for (int i = 0; i < 50_000; i++) {
            Integer k = rnd.nextInt(32);
            Integer v = rnd.nextInt(4);
            switch (rnd.nextInt(10)) {
                case 0 -> assertThat(m.put(k, v)).isEqualTo(model.put(k, v));
                case 1 -> assertThat(m.putIfAbsent(k, v)).isEqualTo(model.putIfAbsent(k, v));
                case 2 -> assertThat(m.remove(k)).isEqualTo(model.remove(k));
                case 3 -> assertThat(m.remove(k, v)).isEqualTo(model.remove(k, v));
                case 4 -> assertThat(m.replace(k, v)).isEqualTo(model.replace(k, v));
                case 5 -> {
                    Integer e = rnd.nextInt(4);
                    assertThat(m.replace(k, e, v)).isEqualTo(model.replace(k, e, v));
                }
                case 6 -> assertThat(m.computeIfAbsent(k, x -> v == 0 ? null : v))
                        .isEqualTo(model.computeIfAbsent(k, x -> v == 0 ? null : v));
                case 7 -> assertThat(m.compute(k, (x, o) -> o == null ? v : (o + v) % 5 == 0 ? null : o + v))
                        .isEqualTo(model.compute(k, (x, o) -> o == null ? v : (o + v) % 5 == 0 ? null : o + v));
                case 8 -> assertThat(m.get(k)).isEqualTo(model.get(k));
                default -> assertThat(m.containsKey(k)).isEqualTo(model.containsKey(k));
            }
            assertThat(m.size()).isEqualTo(model.size());
        }
        assertThat(m.snapshot()).isEqualTo(model);
        assertThat(m.isEmpty()).isEqualTo(model.isEmpty());
    }

    // ------------------------------------------------------------------ computeIfAbsent

    @Test
    void computeIfAbsentRunsTheMappingOnceUnderEightRacingThreads() throws Throwable {
        for (int round = 0; round < 20; round++) {
            SharedMap<String, Point> m = new SharedMap<>();
            AtomicInteger runs = new AtomicInteger();
            CyclicBarrier start = new CyclicBarrier(8);
            List<Worker> workers = new ArrayList<>();
            List<Point> seen = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 8; t++) {
                int id = t;
                workers.add(start("cia-" + t, () -> {
                    start.await();
                    seen.add(m.computeIfAbsent("key", k -> {
                        runs.incrementAndGet();
                        LockSupport.parkNanos(2_000_000); // others arrive while the key is pending
                        return new Point(id, id);
                    }));
                }));
            }
            MonitorTesting.assertNoFailures(workers);
            assertThat(runs.get()).isEqualTo(1);
            assertThat(seen).hasSize(8).allMatch(p -> p == seen.get(0));
            assertThat(m.get("key")).isSameAs(seen.get(0));
        }
    }

    @Test
    void aMappingMayReadAndWriteOtherKeys() {
        SharedMap<String, Integer> m = new SharedMap<>();
        m.put("base", 10);
        int v = m.computeIfAbsent("derived", k -> {
            m.put("side", 1);
            int inner = m.computeIfAbsent("inner", kk -> m.get("base") * 2);
            m.compute("base", (kk, old) -> old + 1);
            return inner + m.get("side");
        });
        assertThat(v).isEqualTo(21);
        assertThat(m.snapshot()).isEqualTo(Map.of("base", 11, "derived", 21, "inner", 20, "side", 1));
    }

    @Test
    void aPendingKeyIsAbsentToReaders() throws Throwable {
        SharedMap<String, String> m = new SharedMap<>();
        m.put("other", "o");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Worker owner = start("owner", () -> m.computeIfAbsent("k", k -> {
            inside.countDown();
            MonitorTesting.await(finish);
            return "v";
        }));
        MonitorTesting.await(inside);
        assertThat(m.get("k")).isNull();
        assertThat(m.containsKey("k")).isFalse();
        assertThat(m.size()).isEqualTo(1);
        assertThat(m.isEmpty()).isFalse();
        assertThat(m.snapshot()).isEqualTo(Map.of("other", "o"));
        assertThat(m.remove("k")).isNull();
        assertThat(m.remove("k", "v")).isFalse();
        assertThat(m.replace("k", "x")).isNull();
        assertThat(m.replace("k", "v", "x")).isFalse();
        assertThat(m.toString()).isEqualTo("SharedMap(size 1)");
        finish.countDown();
        owner.joinAndCheck();
        assertThat(m.get("k")).isEqualTo("v");
        assertThat(m.size()).isEqualTo(2);
    }

    @Test
    void aPendingKeyAloneIsAnEmptyMap() throws Throwable {
        SharedMap<String, String> m = new SharedMap<>();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Worker owner = start("owner", () -> m.computeIfAbsent("k", k -> {
            inside.countDown();
            MonitorTesting.await(finish);
            return null; // leaves the key absent
        }));
        MonitorTesting.await(inside);
        assertThat(m.isEmpty()).isTrue();
        assertThat(m.size()).isZero();
        finish.countDown();
        owner.joinAndCheck();
        assertThat(m.isEmpty()).isTrue();
        assertThat(m.containsKey("k")).isFalse();
    }

    @Test
    void aWriteToAPendingKeyWinsAndWakesItsWaiters() throws Throwable {
        SharedMap<String, String> m = new SharedMap<>();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        String[] ownerGot = new String[1];
        Worker owner = start("owner", () -> ownerGot[0] = m.computeIfAbsent("k", k -> {
            inside.countDown();
            MonitorTesting.await(finish);
            return "computed";
        }));
        MonitorTesting.await(inside);
        String[] waiterGot = new String[1];
        Worker waiter = start("waiter", () -> waiterGot[0] = m.computeIfAbsent("k", k -> "waiter's"));
        awaitParkedOnPendingKey(waiter.thread);
        assertThat(m.put("k", "put")).isNull(); // the pending key was absent
        waiter.joinAndCheck();
        assertThat(waiterGot[0]).isEqualTo("put");
        finish.countDown();
        owner.joinAndCheck();
        assertThat(ownerGot[0]).isEqualTo("put"); // as a putIfAbsent that lost the race
        assertThat(m.snapshot()).isEqualTo(Map.of("k", "put"));
    }

    @Test
    void aThrowingMappingLeavesTheKeyAbsentAndAWaiterComputesItItself() throws Throwable {
        SharedMap<String, String> m = new SharedMap<>();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch fail = new CountDownLatch(1);
        Worker owner = start("owner", () -> m.computeIfAbsent("k", k -> {
            inside.countDown();
            MonitorTesting.await(fail);
            throw new IllegalStateException("mapping failed");
        }));
        MonitorTesting.await(inside);
        String[] waiterGot = new String[1];
        Worker waiter = start("waiter", () -> waiterGot[0] = m.computeIfAbsent("k", k -> "waiter's"));
        awaitParkedOnPendingKey(waiter.thread);
        fail.countDown();
        assertThat(owner.joinAndGetFailure()).isInstanceOf(IllegalStateException.class).hasMessage("mapping failed");
        waiter.joinAndCheck();
        assertThat(waiterGot[0]).isEqualTo("waiter's");
        assertThat(m.snapshot()).isEqualTo(Map.of("k", "waiter's"));
        assertThat(m.size()).isEqualTo(1);
    }

    @Test
    void aMappingThatAsksForItsOwnKeyIsADeadlockBrokenAtOnce() {
        SharedMap<String, String> m = new SharedMap<>();
        m.put("other", "o");
        long before = SafeThread.stats().deadlocksBroken();
        assertThatThrownBy(() -> m.computeIfAbsent("k", k -> m.computeIfAbsent("k", kk -> "inner")))
                .isInstanceOf(DeadlockException.class).hasMessageContaining("SharedMap key \"k\"");
        assertThat(m.snapshot()).isEqualTo(Map.of("other", "o"));
        assertThat(m.containsKey("k")).isFalse();
        assertThat(SafeThread.stats().deadlocksBroken()).isGreaterThan(before);
        // a mapping that catches it may still return a value: the outer computation completes
        assertThat(m.computeIfAbsent("k", k -> {
            try {
                return m.computeIfAbsent("k", kk -> "inner");
            } catch (DeadlockException e) {
                return "outer";
            }
        })).isEqualTo("outer");
        assertThat(m.get("k")).isEqualTo("outer");
    }

    @Test
    void crossedMappingsEndInExactlyOneDeadlockException() throws Throwable {
        for (int round = 0; round < 20; round++) {
            SharedMap<String, String> m = new SharedMap<>();
            CyclicBarrier bothPending = new CyclicBarrier(2);
            AtomicInteger deadlocks = new AtomicInteger();
            Map<String, String> results = new ConcurrentHashMap<>();
            Supplier<Worker> a = () -> start("A", () -> {
                try {
                    results.put("A", m.computeIfAbsent("k1", k -> {
                        MonitorTesting.await(bothPending);
                        return "1+" + m.computeIfAbsent("k2", kk -> "2byA");
                    }));
                } catch (DeadlockException e) {
                    deadlocks.incrementAndGet();
                    assertThat(e.getMessage()).contains("SharedMap key \"k1\"").contains("SharedMap key \"k2\"");
                }
            });
            Supplier<Worker> b = () -> start("B", () -> {
                try {
                    results.put("B", m.computeIfAbsent("k2", k -> {
                        MonitorTesting.await(bothPending);
                        return "2+" + m.computeIfAbsent("k1", kk -> "1byB");
                    }));
                } catch (DeadlockException e) {
                    deadlocks.incrementAndGet();
                }
            });
            Worker wa = a.get();
            Worker wb = b.get();
            wa.joinAndCheck();
            wb.joinAndCheck();
            assertThat(deadlocks.get()).as("deadlock exceptions in round " + round).isEqualTo(1);
            assertThat(results).hasSize(1);
            // the survivor computed the victim's key itself
            if (results.containsKey("A")) {
                assertThat(m.snapshot()).isEqualTo(Map.of("k1", "1+2byA", "k2", "2byA"));
            } else {
                assertThat(m.snapshot()).isEqualTo(Map.of("k2", "2+1byB", "k1", "1byB"));
            }
        }
    }

    @Test
    void waitsChainWithoutFalseDeadlocks() throws Throwable {
        // A computes k1 and needs k2; B computes k2 and needs k3; C computes k3 (no cycle).
        SharedMap<String, String> m = new SharedMap<>();
        CountDownLatch allPending = new CountDownLatch(3);
        Worker c = start("C", () -> m.computeIfAbsent("k3", k -> {
            allPending.countDown();
            MonitorTesting.await(allPending);
            LockSupport.parkNanos(20_000_000);
            return "3";
        }));
        Worker b = start("B", () -> m.computeIfAbsent("k2", k -> {
            allPending.countDown();
            MonitorTesting.await(allPending);
            return "2" + m.computeIfAbsent("k3", kk -> "x");
        }));
        Worker a = start("A", () -> m.computeIfAbsent("k1", k -> {
            allPending.countDown();
            MonitorTesting.await(allPending);
            return "1" + m.computeIfAbsent("k2", kk -> "y");
        }));
        a.joinAndCheck();
        b.joinAndCheck();
        c.joinAndCheck();
        assertThat(m.snapshot()).isEqualTo(Map.of("k1", "123", "k2", "23", "k3", "3"));
    }

    @Test
    void aWaiterKeepsItsInterruptStatus() throws Throwable {
        SharedMap<String, String> m = new SharedMap<>();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Worker owner = start("owner", () -> m.computeIfAbsent("k", k -> {
            inside.countDown();
            MonitorTesting.await(finish);
            return "v";
        }));
        MonitorTesting.await(inside);
        boolean[] interrupted = new boolean[1];
        String[] got = new String[1];
        Worker waiter = start("waiter", () -> {
            got[0] = m.computeIfAbsent("k", k -> "w");
            interrupted[0] = Thread.currentThread().isInterrupted();
        });
        awaitParkedOnPendingKey(waiter.thread);
        waiter.thread.interrupt();
        Thread.sleep(20);
        assertThat(waiter.finished()).isFalse(); // the wait goes on
        finish.countDown();
        owner.joinAndCheck();
        waiter.joinAndCheck();
        assertThat(got[0]).isEqualTo("v");
        assertThat(interrupted[0]).isTrue();
    }

    // ------------------------------------------------------------------ compute

    @Test
    void eightThreadsTimesAThousandComputeIncrementsEndAtEightThousand() throws Throwable {
        SharedMap<String, Integer> m = new SharedMap<>();
        CyclicBarrier start = new CyclicBarrier(8);
        List<Worker> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            workers.add(start("inc-" + t, () -> {
                start.await();
                for (int i = 0; i < 1000; i++) {
                    m.compute("n", (k, v) -> v == null ? 1 : v + 1);
                    m.compute("p" + (i % 4), (k, v) -> v == null ? 1 : v + 1);
                }
            }));
        }
        MonitorTesting.assertNoFailures(workers);
        assertThat(m.get("n")).isEqualTo(8000);
        assertThat(m.get("p0") + m.get("p1") + m.get("p2") + m.get("p3")).isEqualTo(8000);
    }

    @Test
    void computeRemovesOnNullAndReplacesAPendingKey() throws Throwable {
        SharedMap<String, String> m = new SharedMap<>();
        m.put("a", "1");
        assertThat(m.compute("a", (k, v) -> null)).isNull();
        assertThat(m.containsKey("a")).isFalse();
        assertThat(m.compute("a", (k, v) -> null)).isNull();
        assertThat(m.isEmpty()).isTrue();

        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        String[] ownerGot = new String[1];
        Worker owner = start("owner", () -> ownerGot[0] = m.computeIfAbsent("k", k -> {
            inside.countDown();
            MonitorTesting.await(finish);
            return "computed";
        }));
        MonitorTesting.await(inside);
        assertThat(m.compute("k", (k, v) -> v == null ? "fresh" : "seen " + v)).isEqualTo("fresh");
        finish.countDown();
        owner.joinAndCheck();
        assertThat(ownerGot[0]).isEqualTo("fresh");
        assertThat(m.snapshot()).isEqualTo(Map.of("k", "fresh"));
    }

    // ------------------------------------------------------------------ helpers

    static void awaitParkedOnPendingKey(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + MonitorTesting.HANG.toNanos();
        while (!(LockSupport.getBlocker(t) instanceof PendingKey
                && (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING))) {
            if (!t.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("thread " + t.getName() + " did not wait for a pending key; stack: "
                        + MonitorTesting.stack(t));
            }
            Thread.sleep(1);
        }
    }
}
