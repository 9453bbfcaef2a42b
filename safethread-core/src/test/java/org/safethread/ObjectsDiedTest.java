package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code stats().objectsDied()} is exact for every path a death can take (issue 11 moved the count
 * to per-thread counters): an owner's last release, a pool worker's unbiased object released on
 * another pool thread, deaths cascading through {@code Ref} fields, and deaths on threads that
 * have ended since.
 */
@Timeout(60)
class ObjectsDiedTest {

    static final class Bare extends RefCounted {
    }

    static final class Holder extends RefCounted {
        final Ref<Bare> next = new Ref<>();
    }

    static final class Ring extends RefCounted {
        final Ref<Ring> next = new Ref<>();
    }

    private static void quiesce() {
        SafeThread.collect();
        SafeThread.awaitFinalizers(Duration.ofSeconds(5));
    }

    @Test
    void everyDeathIsCountedOnceOnEveryPath() throws Exception {
        quiesce();
        long before = SafeThread.stats().objectsDied();
        long expected = 0;

        // 1. Owners on short-lived platform threads: each object dies inside its owner's decref.
        List<Thread> owners = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Thread t = new Thread(() -> {
                for (int k = 0; k < 1_000; k++) {
                    new Bare().decref();
                }
            });
            owners.add(t);
            t.start();
        }
        for (Thread t : owners) {
            t.join();
        }
        expected += 20 * 1_000;

        // 2. Unbiased objects made on one pool thread, released on another (the hand-off path),
        //    with cascades: each Holder's death releases the Bare it holds.
        ExecutorService producer = Executors.newSingleThreadExecutor();
        ExecutorService consumer = Executors.newSingleThreadExecutor();
        try {
            for (int round = 0; round < 20; round++) {
                Future<List<RefCounted>> made = producer.submit(() -> {
                    List<RefCounted> out = new ArrayList<>();
                    for (int k = 0; k < 500; k++) {
                        out.add(new Bare());
                        Holder h = new Holder();
                        Bare b = new Bare();
                        h.next.set(b);
                        b.decref();
                        out.add(h);
                    }
                    return out;
                });
                List<RefCounted> batch = made.get();
                consumer.submit(() -> {
                    for (RefCounted x : batch) {
                        x.decref();
                        assertThat(x.isAlive()).isFalse();
                    }
                }).get();
                expected += 500 * 3;
            }
        } finally {
            producer.shutdown();
            consumer.shutdown();
            assertThat(producer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            assertThat(consumer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }

        // 3. A garbage cycle, killed by the collector (a group death).
        Ring a = new Ring();
        Ring b = new Ring();
        a.next.set(b);
        b.next.set(a);
        a.decref();
        b.decref();
        SafeThread.collect();
        assertThat(a.isAlive() || b.isAlive()).isFalse();
        expected += 2;

        assertThat(SafeThread.stats().objectsDied() - before).isEqualTo(expected);
    }
}
