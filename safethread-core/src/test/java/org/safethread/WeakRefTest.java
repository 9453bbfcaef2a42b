package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CONTRACT §9: WeakRef. */
@Timeout(120)
class WeakRefTest {
    static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    @Shareable
    static final class SharedNode extends RefCounted {
    }

    @Test
    void getFollowsACountedReferentUntilItsDeath() {
        Node n = new Node();
        WeakRef<Node> w = new WeakRef<>(n);
        assertThat(w.get()).isSameAs(n);
        assertThat(n.refCount()).as("a weak reference counts nothing").isEqualTo(1);
        n.decref();
        assertThat(n.isAlive()).isFalse();
        assertThat(w.get()).isNull();
        assertThat(w.acquire()).isNull();
    }

    @Test
    void acquireTakesACountedReferenceThatKeepsTheObjectAlive() {
        Node n = new Node();
        WeakRef<Node> w = new WeakRef<>(n);
        Node a = w.acquire();
        assertThat(a).isSameAs(n);
        assertThat(n.refCount()).isEqualTo(2);
        n.decref();
        assertThat(n.isAlive()).as("the acquired reference keeps it").isTrue();
        a.decref();
        assertThat(n.isAlive()).isFalse();
        assertThat(w.acquire()).isNull();
    }

    @Test
    void aCountedReferentCollectedInACycleReadsNull() {
        Node a = new Node();
        Node b = new Node();
        a.next.set(b);
        b.next.set(a);
        WeakRef<Node> w = new WeakRef<>(a);
        a.decref();
        b.decref();
        assertThat(w.get()).as("a cycle lives until a collection").isSameAs(a);
        SafeThread.collect();
        assertThat(a.isAlive()).isFalse();
        assertThat(w.get()).isNull();
        assertThat(w.acquire()).isNull();
    }

    @Test
    void acquireOfAGarbageCycleMemberMakesItLiveAgainBeforeTheCollectionSeesIt() {
        Node a = new Node();
        Node b = new Node();
        a.next.set(b);
        b.next.set(a);
        WeakRef<Node> w = new WeakRef<>(a);
        a.decref();
        b.decref();
        Node held = w.acquire(); // a counted reference: the cycle is no longer garbage
        SafeThread.collect();
        assertThat(a.isAlive()).isTrue();
        assertThat(b.isAlive()).isTrue();
        held.next.clear();
        held.decref();
        assertThat(a.isAlive()).isFalse();
        assertThat(b.isAlive()).isFalse();
    }

    @Test
    void aPlainReferentIsClearedByTheJvmAndCannotBeAcquired() throws Exception {
        WeakRef<Object> w = new WeakRef<>(new Object());
        assertThatThrownBy(w::acquire).isInstanceOf(IllegalStateException.class).hasMessageContaining("use get()");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (w.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(w.get()).isNull();
        Object kept = new Object();
        WeakRef<Object> k = new WeakRef<>(kept);
        System.gc();
        assertThat(k.get()).isSameAs(kept);
    }

    @Test
    void nullIsRefused() {
        assertThatThrownBy(() -> new WeakRef<>(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void shareableWhenItsReferentIs() {
        SharedNode s = new SharedNode();
        assertThat(Shareability.isShareable(new WeakRef<>(s))).isTrue();
        assertThat(Shareability.isShareable(new WeakRef<>("text"))).isTrue();
        Node n = new Node();
        assertThat(Shareability.isShareable(new WeakRef<>(n))).isFalse();
        assertThat(Shareability.whyNotShareable(new WeakRef<>(n))).contains("WeakRef value");
        assertThat(Shareability.isShareable(new WeakRef<>(new java.util.ArrayList<>()))).isFalse();
        s.decref();
        n.decref();
    }

    /**
     * The try-incref race: one thread releases the last reference while another acquires through
     * the weak reference. Every round ends with either null, or a live object with exactly the
     * acquirer's reference on it.
     */
    @Test
    void acquireRacingTheLastDecrefNeverReturnsADeadObject() throws Exception {
        int rounds = 10_000;
        CyclicBarrier start = new CyclicBarrier(2);
        AtomicReference<Node> current = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] got = new int[1];
        Thread releaser = new Thread(() -> {
            try {
                for (int i = 0; i < rounds; i++) {
                    start.await();
                    current.get().decref();
                    start.await();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        releaser.start();
        for (int i = 0; i < rounds; i++) {
            Node n = new Node();
            // hand the object to the releaser so that its decref is a non-owner last release
            current.set(n);
            WeakRef<Node> w = new WeakRef<>(n);
            start.await();
            Node a = w.acquire();
            start.await();
            if (a != null) {
                got[0]++;
                assertThat(a).isSameAs(n);
                assertThat(a.isAlive()).as("round " + i).isTrue();
                assertThat(a.refCount()).as("round " + i).isEqualTo(1);
                a.decref();
            }
            SafeThread.poll();
            assertThat(n.isAlive()).as("round " + i + ": every reference was released").isFalse();
            assertThat(w.get()).isNull();
        }
        releaser.join();
        assertThat(failure.get()).isNull();
        assertThat(got[0]).as("acquired live objects").isBetween(0, rounds);
    }

    /** The same race when the releaser owns the object (its plain count, no atomic). */
    @Test
    void acquireRacingTheOwnersLastDecrefNeverReturnsADeadObject() throws Exception {
        int rounds = 10_000;
        CyclicBarrier start = new CyclicBarrier(2);
        AtomicReference<WeakRef<Node>> weak = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Node> dead = new java.util.ArrayList<>();
        Thread acquirer = new Thread(() -> {
            try {
                for (int i = 0; i < rounds; i++) {
                    start.await();
                    Node a = weak.get().acquire();
                    if (a != null) {
                        if (!a.isAlive()) {
                            synchronized (dead) {
                                dead.add(a);
                            }
                        }
                        a.decref();
                    }
                    start.await();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        acquirer.start();
        for (int i = 0; i < rounds; i++) {
            Node n = new Node();
            weak.set(new WeakRef<>(n));
            start.await();
            n.decref();
            start.await();
            SafeThread.poll();
            assertThat(n.isAlive()).as("round " + i).isFalse();
        }
        acquirer.join();
        assertThat(failure.get()).isNull();
        assertThat(dead).isEmpty();
    }

    /**
     * A monitor stands for its target where life is concerned (as in DeathQueue.watch): a
     * WeakRef to a monitor guarding a RefCounted (through an interface) kept returning the
     * monitor after its target died, and acquire said the referent was not counted.
     */
    @Test
    void aWeakRefToAMonitorOfACountedObjectClearsAtTheTargetsDeath() {
        DeathQueueTest.CountedTicker target = new DeathQueueTest.CountedTicker();
        DeathQueueTest.Ticker m = Monitor.of(target, DeathQueueTest.Ticker.class);
        WeakRef<DeathQueueTest.Ticker> w = new WeakRef<>(m);
        assertThat(w.get()).isSameAs(m);
        assertThatThrownBy(w::acquire).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is a monitor").hasMessageContaining("use get()");
        target.decref();
        assertThat(w.get()).as("the object the monitor guards is dead").isNull();
        assertThat(m.tick()).isEqualTo(1); // the monitor itself is still here: only get() follows the death

        Object plain = Monitor.of(new DeathQueueTest.Account());
        WeakRef<Object> p = new WeakRef<>(plain);
        assertThat(p.get()).isSameAs(plain);
        assertThatThrownBy(p::acquire).isInstanceOf(IllegalStateException.class).hasMessageContaining("is a monitor");
    }
}
