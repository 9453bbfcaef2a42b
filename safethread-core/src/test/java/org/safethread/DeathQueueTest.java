package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CONTRACT §3 DeathQueue. */
@Timeout(60)
class DeathQueueTest {
    static final class Item extends RefCounted {
        final Ref<Item> next = new Ref<>();
    }

    record Notice(String name, int n) {
    }

    @Test
    void aRefCountedDeliversItsPayloadAtDeath() throws Exception {
        DeathQueue<Notice> q = new DeathQueue<>();
        Item x = new Item();
        DeathQueue.Handle h = q.watch(x, new Notice("x", 1));
        assertThat(h.isWatching()).isTrue();
        assertThat(q.poll()).isNull();
        x.decref();
        assertThat(q.poll()).isEqualTo(new Notice("x", 1));
        assertThat(q.poll()).isNull();
        assertThat(h.isWatching()).isFalse();
        assertThat(q.cancel(h)).as("already delivered").isFalse();
    }

    @Test
    void cancelBeforeDeathMeansNoNotice() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        Item x = new Item();
        DeathQueue.Handle h = q.watch(x, "x");
        assertThat(q.cancel(h)).isTrue();
        assertThat(q.cancel(h)).isFalse();
        x.decref();
        assertThat(q.poll(Duration.ofMillis(50))).isNull();
    }

    @Test
    void watchingADeadObjectDeliversAtOnce() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        Item x = new Item();
        x.decref();
        q.watch(x, "late");
        assertThat(q.poll()).isEqualTo("late");
    }

    @Test
    void severalWatchesOnOneObjectAllDeliverOnce() throws Exception {
        DeathQueue<Integer> q1 = new DeathQueue<>();
        DeathQueue<Integer> q2 = new DeathQueue<>();
        Item x = new Item();
        q1.watch(x, 1);
        q1.watch(x, 2);
        q2.watch(x, 3);
        x.decref();
        List<Integer> got = new ArrayList<>();
        Integer p;
        while ((p = q1.poll()) != null) {
            got.add(p);
        }
        assertThat(got).containsExactlyInAnyOrder(1, 2);
        assertThat(q2.poll()).isEqualTo(3);
        assertThat(q2.poll()).isNull();
    }

    @Test
    void takeBlocksUntilANoticeAndTheWaiterIsInsideTheRuntime() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        AtomicReference<Item> owned = new AtomicReference<>();
        AtomicReference<String> taken = new AtomicReference<>();
        CountDownLatch created = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            Item x = new Item();
            q.watch(x, "owned-by-the-taker");
            owned.set(x);
            created.countDown();
            try {
                taken.set(q.take()); // blocked inside the runtime: its objects are merged on its behalf
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.start();
        assertThat(created.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(50);
        owned.get().decref(); // a non-owner releases the last reference
        owner.join(5_000);
        assertThat(taken.get()).isEqualTo("owned-by-the-taker");
    }

    @Test
    void pollWithTimeoutReturnsNullWhenNothingDies() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        long t0 = System.nanoTime();
        assertThat(q.poll(Duration.ofMillis(100))).isNull();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(90));
        assertThat(q.poll(Duration.ZERO)).isNull();
    }

    @Test
    void aPlainObjectIsNoticedWhenTheJvmCollectsIt() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        watchGarbage(q);
        String got = null;
        for (int i = 0; i < 200 && got == null; i++) {
            System.gc();
            got = q.poll(Duration.ofMillis(50));
        }
        assertThat(got).isEqualTo("plain");
    }

    private static void watchGarbage(DeathQueue<String> q) {
        q.watch(new Object(), "plain");
    }

    @Test
    void aCancelledPlainWatchNeverDelivers() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        DeathQueue.Handle h = watchGarbageHandle(q);
        assertThat(q.cancel(h)).isTrue();
        for (int i = 0; i < 5; i++) {
            System.gc();
            assertThat(q.poll(Duration.ofMillis(20))).isNull();
        }
    }

    private static DeathQueue.Handle watchGarbageHandle(DeathQueue<String> q) {
        return q.watch(new Object(), "never");
    }

    @Test
    void aGarbageCycleDeliversWhenCollected() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        Item a = new Item();
        Item b = new Item();
        a.next.set(b);
        b.next.set(a);
        q.watch(a, "a");
        q.watch(b, "b");
        a.decref();
        b.decref();
        assertThat(q.poll()).isNull();
        SafeThread.collect();
        List<String> got = new ArrayList<>();
        String p;
        while ((p = q.poll()) != null) {
            got.add(p);
        }
        assertThat(got).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void payloadsMustBeShareableAndNotNull() {
        DeathQueue<Object> q = new DeathQueue<>();
        Item x = new Item();
        assertThatThrownBy(() -> q.watch(x, new ArrayList<>())).isInstanceOf(UnshareableException.class)
                .hasMessageContaining("payload").hasMessageContaining("java.util.ArrayList");
        assertThatThrownBy(() -> q.watch(x, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("payload is null");
        assertThatThrownBy(() -> q.watch(null, "p")).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("obj");
        DeathQueue<Object> other = new DeathQueue<>();
        DeathQueue.Handle h = other.watch(x, "p");
        assertThatThrownBy(() -> q.cancel(h)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another DeathQueue");
        x.decref();
        assertThat(Shareability.isShareable(q)).isTrue();
        assertThat(Shareability.isShareable(h)).isTrue();
    }

    /** A monitor's state, for payloads that hold a monitor. */
    public static class Account {
        private long balance;

        @MonitorMethod
        public long balance() {
            return balance;
        }
    }

    /** A counted class that may cross the wall, so that a payload could hold it. */
    @Shareable
    static final class SharedItem extends RefCounted {
    }

    record Closed(Object what) {
    }

    record HoldsRef(Ref<SharedItem> ref) {
    }

    /**
     * The queue holds a payload strongly until its notice, so a payload that reaches the watched
     * object keeps a plain object from ever being collected (no notice, a silent leak) and would
     * hand a RefCounted out again after its death. Such a payload is refused, naming the path,
     * before anything is registered; a payload that does not reach the object still works.
     */
    @Test
    void aPayloadThatReachesTheWatchedObjectIsRefusedNamingThePath() throws Exception {
        DeathQueue<Object> q = new DeathQueue<>();
        Account a = Monitor.of(new Account());
        assertThatThrownBy(() -> q.watch(a, new Closed(a))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DeathQueue.watch").hasMessageContaining("payload.what")
                .hasMessageContaining("could never die");
        assertThatThrownBy(() -> q.watch(a, a)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("it is that object");
        assertThatThrownBy(() -> q.watch(a, java.util.List.of("x", java.util.Optional.of(new Closed(a)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("payload[1]");

        SharedItem s = new SharedItem();
        assertThatThrownBy(() -> q.watch(s, s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(SharedItem.class.getName());
        Ref<SharedItem> r = new Ref<>(s);
        assertThatThrownBy(() -> q.watch(s, new HoldsRef(r))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("payload.ref");
        r.clear();
        assertThat(s.refCount()).as("a refused watch took no reference").isEqualTo(1);
        s.decref();
        assertThat(q.poll()).as("the refused watches registered nothing").isNull();

        // The same shapes that do not lead back to the object are accepted and delivered.
        SharedItem t = new SharedItem();
        SharedItem other = new SharedItem();
        q.watch(t, new Closed(other));
        t.decref();
        assertThat(q.poll()).isEqualTo(new Closed(other));
        other.decref();
    }

    /** An interface a counted object is guarded through (a class proxy of a RefCounted is refused). */
    public interface Ticker {
        int tick();
    }

    static final class CountedTicker extends RefCounted implements Ticker {
        private int ticks;

        @Override
        public int tick() {
            return ++ticks;
        }
    }

    /**
     * A monitor stands for its target, as in SafeThread.register: watch(monitor) used to watch the
     * proxy. For a RefCounted target (guarded through an interface) the notice never came at the
     * target's death (the proxy is not counted, so it waited for the JVM to collect the proxy).
     */
    @Test
    void watchingAMonitorOfACountedObjectDeliversAtTheTargetsDeath() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        CountedTicker target = new CountedTicker();
        Ticker m = Monitor.of(target, Ticker.class);
        DeathQueue.Handle h = q.watch(m, "ticker");
        assertThat(m.tick()).isEqualTo(1);
        assertThat(q.poll()).isNull();
        target.decref(); // the proxy is still held here: only the target died
        assertThat(q.poll(Duration.ofSeconds(5))).isEqualTo("ticker");
        assertThat(h.isWatching()).isFalse();
        assertThat(m).isNotNull();
    }

    /**
     * For a plain target, watching the proxy fired when the proxy was collected although the
     * object it guarded was still alive (the wrong object's death); now the target's collection
     * is what counts.
     */
    @Test
    void watchingAMonitorOfAPlainObjectDeliversWhenTheTargetIsCollectedNotTheProxy() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        AtomicReference<Account> kept = new AtomicReference<>(new Account()); // the target, alive
        java.lang.ref.WeakReference<Object> proxy = watchThroughADroppedMonitor(q, kept.get());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (proxy.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(proxy.get()).as("the proxy was collected").isNull();
        assertThat(q.poll(Duration.ofMillis(300))).as("the target is alive: no notice").isNull();
        kept.set(null);
        String got = null;
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (got == null && System.nanoTime() < deadline) {
            System.gc();
            got = q.poll(Duration.ofMillis(20));
        }
        assertThat(got).as("the target was collected: its notice").isEqualTo("account");
    }

    private static java.lang.ref.WeakReference<Object> watchThroughADroppedMonitor(DeathQueue<String> q, Account target) {
        Account m = Monitor.of(target);
        q.watch(m, "account");
        assertThat(m.balance()).isZero();
        return new java.lang.ref.WeakReference<>(m);
    }

    /** A payload whose collection the test can observe. */
    @Shareable
    static final class Token {
    }

    /**
     * Watching a long-lived RefCounted and cancelling, over and over (a notice per request,
     * cancelled when the request ends), must not pile up the cancelled watches on the object
     * until it dies: each held its payload (and its queue) strongly, a leak that grew without
     * bound. Cancelled watches are dropped before the object's watch list grows.
     */
    @Test
    void cancelledWatchesOfALongLivedObjectDoNotPileUp() throws Exception {
        DeathQueue<Token> q = new DeathQueue<>();
        Item longLived = new Item();
        DeathQueue.Handle live = q.watch(longLived, new Token()); // one live watch all along
        int n = 1_000;
        List<java.lang.ref.WeakReference<Token>> payloads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Token t = new Token();
            payloads.add(new java.lang.ref.WeakReference<>(t));
            assertThat(q.cancel(q.watch(longLived, t))).isTrue();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long kept;
        do {
            System.gc();
            Thread.sleep(20);
            kept = payloads.stream().filter(r -> r.get() != null).count();
        } while (kept > 8 && System.nanoTime() < deadline);
        assertThat(kept).as("cancelled payloads still held by the watched object").isLessThanOrEqualTo(8);
        assertThat(live.isWatching()).isTrue();
        longLived.decref();
        assertThat(q.poll()).as("the live watch still fires, once").isNotNull();
        assertThat(q.poll()).isNull();
    }
}
