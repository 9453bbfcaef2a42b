package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CONTRACT §2 "Death" across threads: when another thread releases the last reference, the
 * object dies at the owner's next runtime call, within 10 ms when the owner is blocked inside the
 * runtime or has terminated, and never before its count is truly zero.
 */
@Timeout(60)
class RefCountHandOffTest {

    static class Res extends RefCounted {
    }

    /** A monitor the owner can wait in. */
    public static class Gate {
        private boolean open;

        @MonitorMethod
        public void waitOpen() throws InterruptedException {
            Monitor.await(() -> open);
        }

        @MonitorMethod
        public void open() {
            open = true;
        }
    }

    private static long waitUntilDead(RefCounted x, Duration max) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + max.toNanos();
        while (x.isAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return System.nanoTime() - start;
    }

    @Test
    void diesWithin10msWhileTheOwnerIsBlockedInAwait() throws Exception {
        Gate gate = Monitor.of(new Gate());
        BlockingQueue<Res> handOff = new ArrayBlockingQueue<>(1);
        CountDownLatch ownerWaiting = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread owner = new Thread(() -> {
            try {
                Res r = new Res();
                r.incref(); // the owner's plain count holds 2
                handOff.put(r);
                r.decref(); // owner keeps 1... and gives that one away too
                ownerWaiting.countDown();
                gate.waitOpen(); // blocked inside the runtime
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "owner");
        owner.start();
        Res r = handOff.take();
        assertThat(ownerWaiting.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(50); // let the owner park in await
        r.decref(); // the last reference, released by a non-owner
        long tookNanos = waitUntilDead(r, Duration.ofSeconds(2));
        assertThat(r.isAlive()).as("dead while the owner is blocked in Monitor.await").isFalse();
        assertThat(tookNanos).as("death latency (ns)").isLessThan(TimeUnit.MILLISECONDS.toNanos(10));
        gate.open();
        owner.join(10_000);
        assertThat(failure.get()).isNull();
    }

    @Test
    void diesWithin10msAfterTheOwnerTerminated() throws Exception {
        BlockingQueue<Res> handOff = new ArrayBlockingQueue<>(1);
        Thread owner = new Thread(() -> {
            Res r = new Res();
            r.incref();
            handOff.add(r);
            r.decref();
        }, "short-lived-owner");
        owner.start();
        Res r = handOff.take();
        owner.join();
        r.decref();
        long tookNanos = waitUntilDead(r, Duration.ofSeconds(2));
        assertThat(r.isAlive()).isFalse();
        assertThat(tookNanos).as("death latency (ns)").isLessThan(TimeUnit.MILLISECONDS.toNanos(10));
    }

    @Test
    void ownerIdlingOutsideTheRuntimeKeepsTheObjectUntilItsNextRuntimeCall() throws Exception {
        Res r = new Res(); // this test thread is the owner
        Thread other = new Thread(r::decref);
        other.start();
        other.join();
        Thread.sleep(30); // the owner "idles outside the runtime"
        assertThat(r.isAlive()).as("cannot be merged while the owner runs elsewhere").isTrue();
        assertThat(SafeThread.stats().pendingMerges()).isGreaterThanOrEqualTo(0);
        Res unrelated = new Res(); // any runtime call merges
        assertThat(r.isAlive()).isFalse();
        unrelated.decref();
    }

    @Test
    void pendingMergesShowInStats() throws Exception {
        Res r = new Res();
        Thread other = new Thread(r::decref);
        other.start();
        other.join();
        long pending = org.safethread.internal.runtime.Counters.PENDING_MERGES.sum();
        assertThat(pending).isGreaterThanOrEqualTo(1);
        SafeThread.poll();
        assertThat(r.isAlive()).isFalse();
    }

    @Test
    void diesAtOnceWhenTheOwnerCallsCollect() throws Exception {
        Res r = new Res();
        Thread other = new Thread(r::decref);
        other.start();
        other.join();
        SafeThread.collect();
        assertThat(r.isAlive()).isFalse();
    }

    @Test
    void neverDiesEarlyWhenManyThreadsShareItThroughCells() throws Exception {
        Res hot = new Res(); // owned by this thread, which keeps its reference
        int threads = 4;
        int rounds = 200_000;
        AtomicInteger deadSeen = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < rounds; i++) {
                    hot.incref();
                    if (!hot.isAlive()) {
                        deadSeen.incrementAndGet();
                    }
                    hot.decref();
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join();
        }
        assertThat(deadSeen.get()).isZero();
        assertThat(hot.isAlive()).isTrue();
        SafeThread.poll();
        assertThat(hot.refCount()).isEqualTo(1);
        hot.decref();
        assertThat(hot.isAlive()).isFalse();
    }

    @Test
    void hotObjectHeldOnlyInCellsDiesWhenTheLastCellReleases() throws Exception {
        Res hot = new Res();
        CountDownLatch ready = new CountDownLatch(2);
        CountDownLatch ownerGone = new CountDownLatch(1);
        AtomicBoolean earlyDeath = new AtomicBoolean();
        Thread[] ts = new Thread[2];
        for (int t = 0; t < 2; t++) {
            ts[t] = new Thread(() -> {
                hot.incref(); // seen once: shared word
                hot.incref(); // second touch: a cell
                hot.decref();
                ready.countDown();
                try {
                    ownerGone.await();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                for (int i = 0; i < 10_000; i++) {
                    hot.incref();
                    hot.decref();
                }
                if (!hot.isAlive()) {
                    earlyDeath.set(true);
                }
                hot.decref(); // each worker holds one
            });
            ts[t].start();
        }
        assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
        hot.decref(); // the owner lets go: the object merges, workers hold it
        assertThat(hot.isAlive()).isTrue();
        ownerGone.countDown();
        for (Thread t : ts) {
            t.join(10_000);
        }
        assertThat(earlyDeath.get()).isFalse();
        assertThat(hot.isAlive()).as("dies when the last worker releases, without a collection").isFalse();
    }

    @Test
    void passedThroughAMonitorManyTimesThenReleasedOnce() throws Exception {
        Res r = new Res();
        BlockingQueue<Res> there = new ArrayBlockingQueue<>(1);
        BlockingQueue<Res> back = new ArrayBlockingQueue<>(1);
        Thread relay = new Thread(() -> {
            try {
                for (int i = 0; i < 1000; i++) {
                    Res got = there.take();
                    got.incref();
                    got.decref();
                    back.put(got);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        relay.start();
        for (int i = 0; i < 1000; i++) {
            there.put(r);
            Res returned = back.poll(10, TimeUnit.SECONDS);
            assertThat(returned).isSameAs(r);
            assertThat(returned.isAlive()).isTrue();
        }
        relay.join(10_000);
        r.decref();
        assertThat(r.isAlive()).isFalse();
    }
}
