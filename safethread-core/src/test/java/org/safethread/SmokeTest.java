package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SmokeTest {
    public static class Counter {
        private int n;
        @MonitorMethod public int inc(int by) { n += by; return n; }
        @MonitorMethod public int get() { return n; }
        public int peek() { return n; }
    }

    public static class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    @Shareable
    public static final class Core {
        final AtomicInteger ticks;
        Core(AtomicInteger t) { ticks = t; }
        @Finalize void done() { ticks.incrementAndGet(); }
    }

    public static class Res extends RefCounted {
        @FinalizerCore final Core core;
        Res(AtomicInteger t) { core = new Core(t); }
    }

    @Test
    void monitorBasics() throws Exception {
        Counter c = Monitor.of(new Counter());
        assertThat(c.inc(2)).isEqualTo(2);
        assertThatThrownBy(c::peek).isInstanceOf(IllegalStateException.class).hasMessageContaining("peek");
        assertThat(c.toString()).startsWith("Counter#");
        Thread[] ts = new Thread[10];
        for (int i = 0; i < 10; i++) {
            ts[i] = new Thread(() -> { for (int k = 0; k < 1000; k++) c.inc(1); });
            ts[i].start();
        }
        for (Thread t : ts) t.join();
        assertThat(c.get()).isEqualTo(10002);
    }

    public interface Acc { void poke(Acc other); void touch(); }
    public static class AccImpl implements Acc {
        final CountDownLatch both;
        int touched;
        AccImpl(CountDownLatch l) { both = l; }
        public void poke(Acc other) {
            both.countDown();
            try { both.await(); } catch (InterruptedException e) { throw new RuntimeException(e); }
            other.touch();
        }
        public void touch() { touched++; }
    }

    @Test
    void deadlockAbBa() throws Exception {
        CountDownLatch l = new CountDownLatch(2);
        Acc a = Monitor.of(new AccImpl(l), Acc.class);
        Acc b = Monitor.of(new AccImpl(l), Acc.class);
        AtomicInteger victims = new AtomicInteger();
        AtomicReference<Throwable> other = new AtomicReference<>();
        Thread t1 = new Thread(() -> { try { a.poke(b); } catch (DeadlockException e) { victims.incrementAndGet(); System.out.println(e.getMessage()); } catch (Throwable t) { other.set(t); } }, "t1");
        Thread t2 = new Thread(() -> { try { b.poke(a); } catch (DeadlockException e) { victims.incrementAndGet(); System.out.println(e.getMessage());} catch (Throwable t) { other.set(t); } }, "t2");
        t1.start(); t2.start();
        t1.join(5000); t2.join(5000);
        assertThat(t1.isAlive() || t2.isAlive()).isFalse();
        assertThat(other.get()).isNull();
        assertThat(victims.get()).isEqualTo(1);
    }

    @Test
    void refcountAndCollector() {
        Node a = new Node();
        Node b = new Node();
        a.next.set(b);
        b.next.set(a);
        assertThat(a.refCount()).isEqualTo(2);
        a.decref();
        b.decref();
        assertThat(a.isAlive()).isTrue();
        CollectionResult r = SafeThread.collect();
        System.out.println(r);
        assertThat(a.isAlive()).isFalse();
        assertThat(b.isAlive()).isFalse();
        Node c = new Node();
        c.decref();
        assertThat(c.isAlive()).isFalse();
        assertThatThrownBy(c::incref).isInstanceOf(IllegalStateException.class).hasMessageContaining("Node");
    }

    @Test
    void finalizer() throws Exception {
        AtomicInteger t = new AtomicInteger();
        Res r = new Res(t);
        r.decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        assertThat(t.get()).isEqualTo(1);
        Res r2 = new Res(t);
        assertThat(SafeThread.finalizeNow(r2)).isTrue();
        assertThat(SafeThread.finalizeNow(r2)).isFalse();
        r2.decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        assertThat(t.get()).isEqualTo(2);
    }

    @Test
    void handOff() throws Exception {
        Node x = new Node();
        Thread t = new Thread(x::decref);
        t.start(); t.join();
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (x.isAlive() && System.nanoTime() < deadline) Thread.sleep(1);
        System.out.println("alive after hand-off & owner sleeping: " + x.isAlive());
        SafeThread.poll();
        assertThat(x.isAlive()).isFalse();
    }
}
