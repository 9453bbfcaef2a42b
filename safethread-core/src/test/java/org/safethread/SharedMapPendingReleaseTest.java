package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pending key (a {@code computeIfAbsent} in progress) must be released however the operation
 * ends: user code runs around every step (the key's {@code hashCode}/{@code equals}, and
 * {@code compareTo} when the map turns a long bin into a tree; the mapping; the value's check),
 * and a marker left behind made every later {@code computeIfAbsent} of that key, on any other
 * thread, wait for ever (on the owner's own thread: a false "recursive" deadlock), and
 * {@code size()} count one entry too few for ever.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedMapPendingReleaseTest {

    /** A key whose hashCode (or equals) throws on calls {@code failFrom .. failFrom+span-1}; 0: never. */
    @Shareable
    static final class FlakyKey {
        final String name;
        final int hash;
        final int hashFailFrom;
        final int equalsFailFrom;
        final int span;
        final AtomicInteger hashCalls = new AtomicInteger();
        final AtomicInteger equalsCalls = new AtomicInteger();
        /** Once set, hashCode always throws. */
        volatile boolean broken;

        FlakyKey(String name, int hash, int hashFailFrom, int equalsFailFrom, int span) {
            this.name = name;
            this.hash = hash;
            this.hashFailFrom = hashFailFrom;
            this.equalsFailFrom = equalsFailFrom;
            this.span = span;
        }

        static FlakyKey sound(String name, int hash) {
            return new FlakyKey(name, hash, 0, 0, 0);
        }

        @Override
        public int hashCode() {
            int n = hashCalls.incrementAndGet();
            if (broken) {
                throw new IllegalStateException("hashCode call " + n + " broke (for good)");
            }
            if (hashFailFrom > 0 && n >= hashFailFrom && n < hashFailFrom + span) {
                throw new IllegalStateException("hashCode call " + n + " broke");
            }
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            int n = equalsCalls.incrementAndGet();
            if (equalsFailFrom > 0 && n >= equalsFailFrom && n < equalsFailFrom + span) {
                throw new IllegalStateException("equals call " + n + " broke");
            }
            return o instanceof FlakyKey && ((FlakyKey) o).name.equals(name);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** How the failing computeIfAbsent's mapping ends. */
    enum Ending {
        VALUE(k -> "mine"), NULL(k -> null), THROWS(k -> {
            throw new UnsupportedOperationException("the mapping broke");
        }), UNSHAREABLE(k -> new java.util.ArrayList<>());

        final Function<Object, Object> mapping;

        Ending(Function<Object, Object> mapping) {
            this.mapping = mapping;
        }
    }

    /**
     * After one computeIfAbsent ended however it did, the key is usable: another thread computes
     * it (no wait for ever), this thread too (no false recursive deadlock), and size() agrees with
     * the entries.
     */
    private static void assertTheKeyIsNotStuck(SharedMap<Object, Object> m, String name, int hash, String what)
            throws Exception {
        CompletableFuture<Object> other = CompletableFuture.supplyAsync(
                () -> m.computeIfAbsent(FlakyKey.sound(name, hash), k -> "other"));
        Object got = other.get(5, TimeUnit.SECONDS); // TimeoutException: the key was left pending
        assertThat(got).as(what).isIn("mine", "other");
        assertThat(m.computeIfAbsent(FlakyKey.sound(name, hash), k -> "again")).as(what).isEqualTo(got);
        // (not snapshot(): it would hash the stored key, which may be the flaky one)
        assertThat(m.size()).as(what + ": size").isEqualTo(2); // the other entry and this key
        assertThat(m.remove(FlakyKey.sound(name, hash))).as(what).isEqualTo(got);
        assertThat(m.size()).as(what + ": size after remove").isEqualTo(1);
    }

    @Test
    void aKeyWhoseHashCodeThrowsOnAnyCallLeavesNoPendingKey() throws Exception {
        for (Ending ending : Ending.values()) {
            for (int span = 1; span <= 3; span++) { // span 2+: the release's own removal throws too
                for (int n = 1; n <= 6; n++) {
                    SharedMap<Object, Object> m = new SharedMap<>();
                    m.put("filler", 1);
                    FlakyKey k = new FlakyKey("k", 42, n, 0, span);
                    Throwable t = catchThrowable(() -> m.computeIfAbsent(k, ending.mapping));
                    String what = ending + ", hashCode fails from call " + n + " for " + span + ": " + t;
                    if (t != null) {
                        assertThat(t).as(what).isInstanceOfAny(IllegalStateException.class,
                                UnsupportedOperationException.class, UnshareableException.class);
                    }
                    assertTheKeyIsNotStuck(m, "k", 42, what);
                }
            }
        }
    }

    @Test
    void aKeyWhoseEqualsThrowsOnAnyCallLeavesNoPendingKey() throws Exception {
        for (Ending ending : Ending.values()) {
            for (int span = 1; span <= 3; span++) {
                for (int n = 1; n <= 6; n++) {
                    SharedMap<Object, Object> m = new SharedMap<>();
                    m.put(FlakyKey.sound("neighbour", 42), 1); // same bin: every lookup of k calls k.equals
                    FlakyKey k = new FlakyKey("k", 42, 0, n, span);
                    Throwable t = catchThrowable(() -> m.computeIfAbsent(k, ending.mapping));
                    String what = ending + ", equals fails from call " + n + " for " + span + ": " + t;
                    if (t != null) {
                        assertThat(t).as(what).isInstanceOfAny(IllegalStateException.class,
                                UnsupportedOperationException.class, UnshareableException.class);
                    }
                    assertTheKeyIsNotStuck(m, "k", 42, what);
                    assertThat(m.get(FlakyKey.sound("neighbour", 42))).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void aWaiterOfAMappingWhoseKeyThrowsAtTheEndIsReleased() throws Exception {
        // The owner's install and removal both throw: the waiter, parked on the marker, must
        // wake when the mapping ends and compute the key itself.
        SharedMap<Object, Object> m = new SharedMap<>();
        CountDownLatch inMapping = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        FlakyKey k = FlakyKey.sound("k", 7);
        CompletableFuture<Throwable> owner = CompletableFuture.supplyAsync(() -> catchThrowable(() ->
                m.computeIfAbsent(k, key -> {
                    inMapping.countDown();
                    MonitorTesting.await(finish);
                    k.broken = true; // from now on the install and the removal throw
                    return "mine";
                })));
        assertThat(inMapping.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Object> waiter = CompletableFuture.supplyAsync(
                () -> m.computeIfAbsent(FlakyKey.sound("k", 7), key -> "waiter"));
        Thread.sleep(100); // let it reach the marker and park (if it has not, it finds the key later: also fine)
        finish.countDown();
        assertThat(owner.get(5, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("hashCode call");
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo("waiter");
        assertThat(m.size()).isEqualTo(1); // the stale marker was replaced, and counted off
        assertThat(m.get(FlakyKey.sound("k", 7))).isEqualTo("waiter");
        assertThat(m.remove(FlakyKey.sound("k", 7))).isEqualTo("waiter");
        assertThat(m.isEmpty()).isTrue();
        assertThat(m.size()).isZero();
    }

    /** Colliding, comparable keys whose compareTo can be made to throw. */
    @Shareable
    static final class Collider implements Comparable<Collider> {
        static volatile boolean armed;
        final int id;

        Collider(int id) {
            this.id = id;
        }

        @Override
        public int hashCode() {
            return 0x5AFE; // one bin
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Collider && ((Collider) o).id == id;
        }

        @Override
        public int compareTo(Collider o) {
            if (armed) {
                throw new IllegalStateException("compareTo broke");
            }
            return Integer.compare(id, o.id);
        }
    }

    @Test
    void aPutThatThrowsAfterDisplacingAPendingKeyDoesNotStrandItsWaiters() throws Exception {
        // ConcurrentHashMap.put replaces the value, then turns a bin of 8+ entries into a tree,
        // calling the keys' compareTo: if that throws, the put throws after it displaced the
        // marker, and nobody resolved it: the waiters waited for ever, size() stayed one short.
        Collider.armed = false;
        SharedMap<Object, Object> m = new SharedMap<>();
        for (int i = 0; i < 30; i++) {
            m.put("filler-" + i, i); // a table of 64: long bins become trees (not a resize)
        }
        for (int id = 1; id <= 7; id++) {
            m.put(new Collider(id), id); // one bin, a list of 7
        }
        CountDownLatch inMapping = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<Object> owner = CompletableFuture.supplyAsync(() -> m.computeIfAbsent(new Collider(8), k -> {
            inMapping.countDown(); // the marker is the 8th entry of the bin
            MonitorTesting.await(finish);
            return "owner";
        }));
        assertThat(inMapping.await(5, TimeUnit.SECONDS)).isTrue();
        Thread[] waiterThread = new Thread[1];
        CountDownLatch waiterStarted = new CountDownLatch(1);
        CompletableFuture<Object> waiter = new CompletableFuture<>();
        waiterThread[0] = new Thread(() -> {
            waiterStarted.countDown();
            try {
                waiter.complete(m.computeIfAbsent(new Collider(8), k -> "waiter"));
            } catch (Throwable t) {
                waiter.completeExceptionally(t);
            }
        }, "pending-key-waiter");
        waiterThread[0].setDaemon(true);
        waiterThread[0].start();
        waiterStarted.await();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (waiterThread[0].getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(5); // parked on the marker
        }
        assertThat(waiterThread[0].getState()).isEqualTo(Thread.State.WAITING);
        Collider.armed = true;
        Throwable put;
        try {
            put = catchThrowable(() -> m.put(new Collider(8), "put"));
        } finally {
            Collider.armed = false;
        }
        assertThat(put).as("the tree is built after the write").isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("compareTo broke");
        finish.countDown();
        assertThat(owner.get(5, TimeUnit.SECONDS)).isEqualTo("put"); // the put's value is there: the owner's lost
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo("put");
        assertThat(m.size()).isEqualTo(38).isEqualTo(m.snapshot().size());
    }
}
