package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.lang.ref.WeakReference;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.runtime.Settings;

/**
 * One object, one lock. A monitor delegates to its target, so {@code Monitor.of} called twice on
 * the same object made two monitors with two locks over one state, and two threads could be
 * inside it at once. The
 * second wrapping is refused, naming the first monitor; monitors of one space share its lock and
 * may guard the same object (one per interface).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MonitorOneTargetTest {
    public static class Account {
        private long balance;

        @MonitorMethod
        public void deposit(long amount) {
            balance += amount;
        }

        @MonitorMethod
        public long balance() {
            return balance;
        }

        @MonitorMethod
        public void holdWhile(CountDownLatch entered, CountDownLatch release) throws InterruptedException {
            entered.countDown();
            release.await(5, TimeUnit.SECONDS);
        }
    }

    public interface Reader {
        int read();
    }

    public interface Writer {
        void write(int v);
    }

    static final class Cell implements Reader, Writer {
        private int v;

        @Override
        public int read() {
            return v;
        }

        @Override
        public void write(int value) {
            v = value;
        }
    }

    @Test
    void withTheRecordTurnedOffASecondMonitorIsMadeAsBefore() {
        Settings.setOneMonitorPerTarget(false);
        try {
            Account target = new Account();
            Account first = Monitor.of(target);
            Account second = Monitor.of(target); // the program's promise: it never does this
            assertThat(second).isNotSameAs(first);
        } finally {
            Settings.setOneMonitorPerTarget(true);
        }
        Account target = new Account();
        Monitor.of(target);
        assertThat(catchThrowable(() -> Monitor.of(target))).as("on again").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSecondMonitorOfTheSameObjectIsRefusedNamingTheFirst() throws Exception {
        Account target = new Account();
        Account first = Monitor.of(target);
        Throwable t = catchThrowable(() -> Monitor.of(target));
        assertThat(t).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already guarded by monitor " + first)
                .hasMessageContaining("two threads could be inside the same object at once");
        assertThat(catchThrowable(() -> MonitorSpace.create("other").monitor(target)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MonitorSpace.monitor");
        // the first monitor is untouched and excludes as before
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try {
                first.holdWhile(entered, release);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        holder.start();
        entered.await();
        AtomicInteger inside = new AtomicInteger();
        Thread other = new Thread(() -> {
            first.deposit(1);
            inside.incrementAndGet();
        });
        other.start();
        other.join(200);
        assertThat(inside.get()).as("excluded while the holder is inside").isZero();
        release.countDown();
        holder.join();
        other.join();
        assertThat(first.balance()).isEqualTo(1);
    }

    @Test
    void aSecondInterfaceProxyOfTheSameObjectIsRefusedUnlessInTheSameSpace() {
        Cell cell = new Cell();
        Reader r = Monitor.of(cell, Reader.class);
        assertThat(catchThrowable(() -> Monitor.of(cell, Writer.class))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(r.toString()).hasMessageContaining("MonitorSpace");

        Cell shared = new Cell();
        MonitorSpace space = MonitorSpace.create("cell");
        Reader sr = space.monitor(shared, Reader.class);
        Writer sw = space.monitor(shared, Writer.class); // same space: one lock
        sw.write(7);
        assertThat(sr.read()).isEqualTo(7);
        assertThat(MonitorSpace.of(sr)).isEqualTo(MonitorSpace.of(sw));
    }

    @Test
    void anObjectWhoseMonitorWasCollectedMayBeWrappedAgain() throws Exception {
        Account target = new Account();
        WeakReference<Account> first = new WeakReference<>(Monitor.of(target));
        for (int i = 0; i < 100 && first.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(first.get()).isNull();
        Account again = Monitor.of(target);
        again.deposit(5);
        assertThat(again.balance()).isEqualTo(5);
    }

    @Test
    void twoThreadsWrappingOneObjectAtOnceGetOneMonitor() throws Exception {
        for (int round = 0; round < 200; round++) {
            Account target = new Account();
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger made = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            java.util.Queue<Account> monitors = new java.util.concurrent.ConcurrentLinkedQueue<>(); // kept reachable
            Runnable wrap = () -> {
                try {
                    go.await();
                    monitors.add(Monitor.of(target));
                    made.incrementAndGet();
                } catch (IllegalArgumentException e) {
                    refused.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            Thread a = new Thread(wrap);
            Thread b = new Thread(wrap);
            a.start();
            b.start();
            go.countDown();
            a.join();
            b.join();
            assertThat(made.get()).isEqualTo(1);
            assertThat(refused.get()).isEqualTo(1);
            assertThat(monitors).hasSize(1);
        }
    }
}
