package org.safethread.internal.refcount;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-thread death counters behind {@code stats().objectsDied()} ({@link DeathCounts}): every
 * count that happens-before a sum is in it, threads that end are folded without loss or double
 * count, successive sums never decrease, and the list of counters stays bounded by the threads
 * alive.
 */
@Timeout(60)
class DeathCountsTest {

    @Test
    void countsOfEndedThreadsAreKeptExactlyAndTheirCountersAreFolded() throws Exception {
        int threads = 300;
        int perThread = 1_000;
        long before = DeathCounts.sum();
        for (int round = 0; round < threads / 50; round++) {
            List<Thread> batch = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Thread t = new Thread(() -> {
                    DeathCounts c = DeathCounts.registerCurrentThread();
                    for (int k = 0; k < perThread; k++) {
                        c.add(1);
                    }
                });
                batch.add(t);
                t.start();
            }
            for (Thread t : batch) {
                t.join(); // each thread's adds happen-before the sum below
            }
        }
        assertThat(DeathCounts.sum() - before).isEqualTo((long) threads * perThread);
        // Every one of those threads has ended: the sum folded their counters away.
        assertThat(DeathCounts.registeredCount()).isLessThan(threads);
    }

    @Test
    void sumsNeverDecreaseWhileThreadsCountAndEnd() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            long last = DeathCounts.sum();
            while (!stop.get()) {
                long now = DeathCounts.sum();
                if (now < last) {
                    failure.compareAndSet(null, "sum went from " + last + " down to " + now);
                }
                last = now;
            }
        });
        reader.start();
        long before = DeathCounts.sum();
        int threads = 200;
        CountDownLatch done = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            new Thread(() -> {
                DeathCounts c = DeathCounts.registerCurrentThread();
                for (int k = 0; k < 500; k++) {
                    c.add(2);
                }
                done.countDown();
            }).start();
        }
        done.await();
        stop.set(true);
        reader.join();
        assertThat(failure.get()).isNull();
        assertThat(DeathCounts.sum() - before).isGreaterThanOrEqualTo(threads * 1_000L);
    }

    @Test
    void registrationKeepsTheListBoundedWithoutAnyoneReadingIt() throws Exception {
        for (int i = 0; i < 2_000; i++) {
            Thread t = new Thread(() -> DeathCounts.registerCurrentThread().add(1));
            t.start();
            t.join();
        }
        // Folding on registration when the list has doubled: ended threads do not pile up.
        assertThat(DeathCounts.registeredCount()).isLessThanOrEqualTo(2 * 64 + Thread.activeCount());
    }
}
