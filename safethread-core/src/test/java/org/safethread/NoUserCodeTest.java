package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Death processing and the collector never call a method of a user class: classes whose
 * {@code equals}, {@code hashCode} and {@code toString} throw still die, get collected in cycles,
 * are watched, and have their cores finalized.
 */
@Timeout(60)
class NoUserCodeTest {
    static final AtomicInteger CALLS = new AtomicInteger();

    @Shareable // so that a Ref to it may be a WeakKeyMap value (a holder is shareable when what it holds is)
    static final class Hostile extends RefCounted {
        final Ref<Hostile> next = new Ref<>();
        @FinalizerCore
        final HostileCore core;

        Hostile(HostileCore core) {
            this.core = core;
        }

        @Override
        public boolean equals(Object o) {
            CALLS.incrementAndGet();
            throw new AssertionError("equals called by the runtime");
        }

        @Override
        public int hashCode() {
            CALLS.incrementAndGet();
            throw new AssertionError("hashCode called by the runtime");
        }

        @Override
        public String toString() {
            CALLS.incrementAndGet();
            throw new AssertionError("toString called by the runtime");
        }
    }

    @Shareable
    static final class HostileCore {
        final AtomicInteger finalized;

        HostileCore(AtomicInteger finalized) {
            this.finalized = finalized;
        }

        @Finalize
        void done() {
            finalized.incrementAndGet();
        }

        @Override
        public boolean equals(Object o) {
            CALLS.incrementAndGet();
            throw new AssertionError("core equals called");
        }

        @Override
        public int hashCode() {
            CALLS.incrementAndGet();
            throw new AssertionError("core hashCode called");
        }

        @Override
        public String toString() {
            CALLS.incrementAndGet();
            throw new AssertionError("core toString called");
        }
    }

    static final class HostileRegistered {
        @FinalizerCore
        final HostileCore core;

        HostileRegistered(HostileCore core) {
            this.core = core;
        }

        @Override
        public int hashCode() {
            CALLS.incrementAndGet();
            throw new AssertionError("hashCode called");
        }

        @Override
        public boolean equals(Object o) {
            CALLS.incrementAndGet();
            throw new AssertionError("equals called");
        }
    }

    @Test
    void deathsCyclesWatchesCellsAndFinalizersNeverCallUserMethods() throws Exception {
        CALLS.set(0);
        AtomicInteger finalized = new AtomicInteger();
        DeathQueue<String> q = new DeathQueue<>();
        // a plain death
        Hostile single = new Hostile(new HostileCore(finalized));
        q.watch(single, "single");
        single.decref();
        // a garbage cycle of three
        Hostile a = new Hostile(new HostileCore(finalized));
        Hostile b = new Hostile(new HostileCore(finalized));
        Hostile c = new Hostile(new HostileCore(finalized));
        a.next.set(b);
        b.next.set(c);
        c.next.set(a);
        q.watch(a, "a");
        a.decref();
        b.decref();
        c.decref();
        CollectionResult r = SafeThread.collect();
        assertThat(r.collected()).isGreaterThanOrEqualTo(3);
        // shared between threads (cells, merges)
        Hostile shared = new Hostile(new HostileCore(finalized));
        Thread t = new Thread(() -> {
            for (int i = 0; i < 100; i++) {
                shared.incref();
                shared.decref();
            }
            shared.decref();
        });
        t.start();
        t.join();
        SafeThread.poll();
        // registered with the JVM path, and finalized by hand
        HostileRegistered reg = SafeThread.register(new HostileRegistered(new HostileCore(finalized)));
        assertThat(SafeThread.finalizeNow(reg)).isTrue();
        assertThat(SafeThread.finalizeNow(reg)).isFalse();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
        assertThat(finalized.get()).isEqualTo(6);
        assertThat(q.poll()).isNotNull();
        assertThat(q.poll()).isNotNull();
        assertThat(shared.isAlive()).isFalse();
        assertThat(CALLS.get()).as("user methods called by the runtime").isZero();
    }

    /** A plain (not counted) key whose methods throw. */
    static final class HostilePlainKey {
        @Override
        public int hashCode() {
            CALLS.incrementAndGet();
            throw new AssertionError("hashCode called");
        }

        @Override
        public boolean equals(Object o) {
            CALLS.incrementAndGet();
            throw new AssertionError("equals called");
        }

        @Override
        public String toString() {
            CALLS.incrementAndGet();
            throw new AssertionError("toString called");
        }
    }

    /** A value record whose methods throw, holding a Ref back to its key. */
    record HostileValue(Ref<Hostile> back) {
        @Override
        public int hashCode() {
            CALLS.incrementAndGet();
            throw new AssertionError("value hashCode called");
        }

        @Override
        public boolean equals(Object o) {
            CALLS.incrementAndGet();
            throw new AssertionError("value equals called");
        }

        @Override
        public String toString() {
            CALLS.incrementAndGet();
            throw new AssertionError("value toString called");
        }
    }

    @Test
    void weakKeyMapsAndWeakRefsNeverCallUserMethods() throws Exception {
        CALLS.set(0);
        AtomicInteger finalized = new AtomicInteger();
        WeakKeyMap<Object, Object> map = new WeakKeyMap<>();
        // a counted key that dies by count, with a replaced and a removed entry on the way
        Hostile dies = new Hostile(new HostileCore(finalized));
        WeakRef<Hostile> w = new WeakRef<>(dies);
        map.put(dies, "one");
        assertThat(map.put(dies, "two")).isEqualTo("one");
        assertThat(map.get(dies)).isEqualTo("two");
        Hostile other = new Hostile(new HostileCore(finalized));
        map.put(other, "x");
        assertThat(map.remove(other)).isEqualTo("x");
        other.decref();
        Hostile got = w.acquire();
        assertThat(got).isSameAs(dies);
        got.decref();
        dies.decref();
        assertThat(map.get(dies)).isNull();
        assertThat(w.get()).isNull();
        // an ephemeron: the value refers back to its key; the collector traces it
        Hostile eph = new Hostile(new HostileCore(finalized));
        map.put(eph, new HostileValue(new Ref<>(eph)));
        eph.decref();
        SafeThread.collect();
        assertThat(eph.isAlive()).isFalse();
        // a plain key, collected by the JVM and reaped by the housekeeper
        map.put(new HostilePlainKey(), "plain");
        HostilePlainKey kept = new HostilePlainKey();
        map.put(kept, "kept");
        assertThat(map.get(kept)).isEqualTo("kept");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (map.size() > 1 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(map.size()).isEqualTo(1);
        assertThat(map.remove(kept)).isEqualTo("kept");
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
        assertThat(CALLS.get()).as("user methods called by the runtime").isZero();
    }
}
