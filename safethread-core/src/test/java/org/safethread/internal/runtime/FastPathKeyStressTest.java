package org.safethread.internal.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.RefCounted;

/**
 * The fast-path key under real concurrency, end to end: owners that make no runtime call but
 * their own objects' fast-path {@code incref}/{@code decref} must still answer every merge
 * request other threads make of them, however the requests fall against their polls (each
 * request clears the key; each poll restores it and re-reads the bits). A request hidden behind
 * a restored key would leave its object alive for as long as the owner only takes fast paths:
 * nothing else merges for an owner that runs (it cannot be held), and no later request comes to
 * clear the key again once the last object was released. The jcstress {@code FastPathKeyTest}
 * checks the pair on its own; this runs it through {@code Merges.queue} and the owner's poll.
 */
@Timeout(60)
class FastPathKeyStressTest {

    /** An owner-biased object with nothing to finalize. */
    static final class Obj extends RefCounted {
    }

    /** Owners, each with one releaser: two spinning threads per owner (the CI machine has 2 cores). */
    private static final int OWNERS = 1;
    /**
     * Releases per owner, each one a request landing in the tail of the owner's previous poll: a
     * restore without the re-read, and one with a release store and an acquire re-read, left a
     * request hidden within the first 40,000 in 3 of 3 and 2 of 3 runs (well under a second
     * when correct).
     */
    private static final int OBJECTS = 40_000;
    /** How long a release may wait for its object's death (the owner answers within microseconds). */
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(10);

    @Test
    void ownersOnTheirFastPathAloneAnswerEveryMergeRequest() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(OWNERS);
        Thread[] owners = new Thread[OWNERS];
        for (int k = 0; k < OWNERS; k++) {
            owners[k] = new Thread(() -> {
                try {
                    runOwner();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }, "fast-path-key-stress-owner-" + k);
            owners[k].start();
        }
        done.await(50, TimeUnit.SECONDS);
        for (Thread t : owners) {
            t.join(TimeUnit.SECONDS.toMillis(5));
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get().toString(), failure.get());
        }
        assertEquals(0, done.getCount(), "every owner finished");
    }

    /**
     * The owner spins on its fast path; its releaser releases its objects one at a time and waits
     * for each to die before releasing the next. The death is seen while the owner's poll is still
     * finishing (the drain, the loop's re-read, the key's restore), so the next request lands in
     * that tail again and again: exactly where a restore that does not re-read the bits would
     * hide it. A hidden request is then the last one: nothing clears the key again, the owner
     * never polls, and the releaser's wait runs out.
     */
    private static void runOwner() throws Exception {
        Obj[] objs = new Obj[OBJECTS];
        for (int i = 0; i < OBJECTS; i++) {
            objs[i] = new Obj(); // one reference each, in this thread's plain count
        }
        Obj hot = new Obj();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean finished = new AtomicBoolean();
        Thread releaser = new Thread(() -> {
            try {
                for (int i = 0; i < OBJECTS; i++) {
                    Obj x = objs[i];
                    x.decref(); // a non-owner release: queues a merge, requests it of the owner
                    long start = System.nanoTime();
                    while (x.isAlive()) { // a word read: no runtime call
                        if (System.nanoTime() - start > PATIENCE_NANOS) {
                            throw new AssertionError("object " + i + " of " + OBJECTS + " released elsewhere was "
                                    + "still alive after " + TimeUnit.NANOSECONDS.toMillis(PATIENCE_NANOS)
                                    + " ms of its owner's fast-path calls: the merge request was not noticed");
                        }
                        Thread.onSpinWait();
                    }
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                finished.set(true);
            }
        }, Thread.currentThread().getName() + "-releaser");
        releaser.start();
        // Only fast-path operations from here on (the flag is no runtime call, so no poll).
        long pairs = 0;
        while (!finished.get()) {
            hot.incref();
            hot.decref();
            pairs++;
        }
        releaser.join(TimeUnit.SECONDS.toMillis(10));
        if (failure.get() != null) {
            throw new AssertionError(failure.get().getMessage() + " (" + pairs + " fast-path pairs)", failure.get());
        }
        for (int i = 0; i < OBJECTS; i++) {
            assertFalse(objs[i].isAlive(), "object " + i + " died");
        }
        assertEquals(1, hot.refCount());
        hot.decref();
    }
}
