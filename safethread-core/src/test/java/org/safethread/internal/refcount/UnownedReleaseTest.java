package org.safethread.internal.refcount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.DeathQueue;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.SafeThread;
import org.safethread.internal.runtime.ThreadState;

/**
 * The release of an object without owner ({@link UnownedRelease}): objects made on a pool worker
 * (born unbiased; BARE when their class has nothing to do at death) die inside the release on any
 * thread, are counted exactly once, still take the full death (Ref fields, watches) when they
 * have something to do, the release is still a safe point (pending requests are served), an
 * over-release is refused with the counts unchanged, and threads whose ids share a slot of the
 * by-thread table never count on each other's counter.
 */
@Timeout(60)
class UnownedReleaseTest {

    static final class Bare extends RefCounted {
    }

    static final class Holder extends RefCounted {
        final Ref<Bare> next = new Ref<>();
    }

    private static ExecutorService pool;

    @BeforeAll
    static void startPool() {
        pool = Executors.newSingleThreadExecutor(); // a ThreadPoolExecutor worker: makes unbiased objects
    }

    @AfterAll
    static void stopPool() throws InterruptedException {
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private static List<Bare> bareOnPool(int n) throws Exception {
        return pool.submit(() -> {
            List<Bare> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(new Bare());
            }
            return out;
        }).get();
    }

    private static void quiesce() {
        SafeThread.collect();
        SafeThread.awaitFinalizers(Duration.ofSeconds(5));
    }

    @Test
    void bareObjectsOfAPoolWorkerAreBornBareAndDieInTheReleaseCountedOnce() throws Exception {
        List<Bare> made = bareOnPool(1_000);
        for (Bare b : made) {
            long w = CountFields.wordVolatile(b);
            assertThat(w & (CountWord.MERGED | CountWord.BARE)).as(CountWord.describe(w))
                    .isEqualTo(CountWord.MERGED | CountWord.BARE);
            assertThat(CountFields.ownerPlain(b)).isNull();
        }
        quiesce();
        long before = DeathCounts.sum();
        for (Bare b : made) {
            b.decref();
            assertThat(b.isAlive()).isFalse();
        }
        assertThat(DeathCounts.sum() - before).isEqualTo(1_000);
    }

    @Test
    void anObjectWithSomethingToDoAtDeathIsNotBareAndGetsItsFullDeath() throws Exception {
        List<Object> made = pool.submit(() -> {
            Holder h = new Holder();
            Bare b = new Bare();
            h.next.set(b);
            b.decref(); // h's Ref holds the only reference to b
            return List.<Object>of(h, b);
        }).get();
        Holder h = (Holder) made.get(0);
        Bare b = (Bare) made.get(1);
        assertThat(CountFields.wordVolatile(h) & CountWord.BARE).isZero();
        quiesce();
        long before = DeathCounts.sum();
        h.decref(); // h dies here; its death empties the Ref and releases b, which dies too
        assertThat(h.isAlive()).isFalse();
        assertThat(h.next.get()).isNull();
        assertThat(b.isAlive()).isFalse();
        assertThat(DeathCounts.sum() - before).isEqualTo(2);
    }

    @Test
    void aWatchOnABareObjectFiresWhenAnotherThreadReleasesIt() throws Exception {
        Bare b = bareOnPool(1).get(0);
        DeathQueue<String> deaths = new DeathQueue<>();
        deaths.watch(b, "b"); // installs Extras: the death must take the full path
        b.incref();
        b.decref(); // to 1: not dead, no notice
        assertThat(deaths.poll()).isNull();
        b.decref();
        assertThat(b.isAlive()).isFalse();
        assertThat(deaths.poll(Duration.ofSeconds(5))).isEqualTo("b");
        assertThat(deaths.poll()).isNull();
    }

    @Test
    void aReleaseToANonZeroCountMakesTheObjectACandidate() throws Exception {
        Bare b = bareOnPool(1).get(0);
        b.incref(); // this thread's first touch: counted in the shared word, no cell
        assertThat(CountWord.pins(CountFields.wordVolatile(b))).isZero();
        b.decref(); // 2 -> 1: it may now be in a garbage cycle
        assertThat(CountFields.wordVolatile(b) & CountWord.CAND).isNotZero();
        assertThat(b.isAlive()).isTrue();
        assertThat(b.refCount()).isEqualTo(1);
        b.decref();
        assertThat(b.isAlive()).isFalse();
    }

    @Test
    void anOverReleaseIsRefusedAndLeavesTheCountsUnchanged() throws Exception {
        Bare b = bareOnPool(1).get(0);
        b.decref();
        long w = CountFields.wordVolatile(b);
        assertThatThrownBy(b::decref).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Bare.class.getName());
        assertThat(CountFields.wordVolatile(b)).isEqualTo(w);
    }

    @Test
    void theReleaseIsASafePointThatServesTheCallersPendingMerge() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread owner = new Thread(() -> {
            try {
                Bare unowned = bareOnPool(1).get(0);
                Bare mine = new Bare(); // a platform thread outside any pool: biased to this thread
                assertThat(CountFields.ownerPlain(mine)).isSameAs(ThreadState.current());
                mine.incref(); // a reference for the helper
                Thread helper = new Thread(mine::decref); // refs -1: queues a merge on this owner
                helper.start();
                helper.join(); // not inside the runtime: nobody merges on this thread's behalf
                assertThat(ThreadState.current().requests() & ThreadState.REQ_MERGE).isNotZero();
                assertThat(CountFields.ownerPlain(mine)).isSameAs(ThreadState.current());
                unowned.decref(); // a runtime call: it must poll, and so merge
                assertThat(unowned.isAlive()).isFalse();
                assertThat(CountFields.ownerPlain(mine)).isNull();
                assertThat(CountWord.isMerged(CountFields.wordVolatile(mine))).isTrue();
                assertThat(mine.refCount()).isEqualTo(1);
                mine.decref();
                assertThat(mine.isAlive()).isFalse();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        owner.start();
        owner.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    /** Releases the objects it is given once started (they are set before the start). */
    static final class Releaser implements Runnable {
        final CountDownLatch go;
        final AtomicReference<Throwable> failure;
        List<Bare> work = List.of();
        /** Deaths this thread's own counter gained while it released its work. */
        volatile long counted = -1;

        Releaser(CountDownLatch go, AtomicReference<Throwable> failure) {
            this.go = go;
            this.failure = failure;
        }

        @Override
        public void run() {
            try {
                ThreadState ts = ThreadState.current();
                DeathCounts own = OwnerWork.of(ts).deaths.counts(ts);
                long before = own.count();
                go.await();
                for (Bare b : work) {
                    b.decref();
                }
                counted = own.count() - before;
            } catch (Throwable e) {
                failure.set(e);
            }
        }
    }

    @Test
    void threadsWhoseIdsShareATableSlotCountOnlyOnTheirOwnCounters() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // Thread ids are handed out in sequence: make (unstarted) threads until two share a slot.
        Map<Integer, Thread> bySlot = new HashMap<>();
        Map<Thread, Releaser> releasers = new HashMap<>();
        Thread first = null;
        Thread second = null;
        for (int i = 0; i <= DeathCounts.slotCount() && second == null; i++) {
            Releaser r = new Releaser(go, failure);
            Thread t = new Thread(r);
            releasers.put(t, r);
            first = bySlot.putIfAbsent(DeathCounts.slotOf(t), t);
            if (first != null) {
                second = t;
            }
        }
        assertThat(second).as("two threads sharing a slot").isNotNull();
        int perThread = 200_000;
        List<Bare> forFirst = bareOnPool(perThread);
        List<Bare> forSecond = bareOnPool(perThread);
        releasers.get(first).work = forFirst; // before start: the start publishes it
        releasers.get(second).work = forSecond;
        quiesce();
        long before = DeathCounts.sum();
        first.start();
        second.start();
        go.countDown(); // both release at once, taking the slot from each other again and again
        first.join();
        second.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        for (Bare b : forFirst) {
            assertThat(b.isAlive()).isFalse();
        }
        for (Bare b : forSecond) {
            assertThat(b.isAlive()).isFalse();
        }
        // Each death on its own thread's counter: a thread that counted on the other's (or a
        // racy read-increment-write by two writers) shows here.
        assertThat(releasers.get(first).counted).isEqualTo(perThread);
        assertThat(releasers.get(second).counted).isEqualTo(perThread);
        assertThat(DeathCounts.sum() - before).isEqualTo(2L * perThread);
    }
}
