package org.safethread.internal.runtime;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

/**
 * Parking for the runtime's long waits ({@code Monitor.await}, branch joins, {@code SharedMap}
 * pending keys): on a {@link ForkJoinWorkerThread} the park goes through
 * {@link ForkJoinPool#managedBlock}, so the pool may add a spare worker while this one waits,
 * as it does for the JDK's own condition waits ({@code BlockingQueue.take},
 * {@code CompletableFuture.get}). Without it a pool of parallelism 1 (the common pool on a
 * two-core machine) that runs a task waiting in {@code Monitor.await} never runs the task that
 * would make the condition true, and a task joining a branch whose child needs the pool starves
 * the child.
 *
 * <p>Each call parks at most once, like {@link LockSupport#park}: callers loop and re-check
 * their own state, as they do around a plain park. Callers are {@linkplain ThreadState#detach()
 * detached} (parked inside the runtime, their counts published). A pool may run its worker
 * factory — user code, possibly calling safethread — on this thread while it compensates, before
 * the park: so on a pool worker the thread re-attaches around {@code managedBlock} and is detached
 * only for the park itself (the attach protocol's invariant: a thread touches its plain counts
 * only while attached). Off a pool worker it is a plain park: a platform thread has no pool to
 * tell, and a parked virtual thread unmounts, leaving its carrier free for others. A pool
 * that refuses to compensate (its thread limit reached: {@link RejectedExecutionException}) or
 * is stopping ({@code managedBlock} throws {@link InterruptedException} before blocking on
 * JDK 21+) gets a plain park instead, so the caller's wait neither fails nor spins; that
 * {@code InterruptedException} says nothing about this thread's interrupt status, which is left
 * as it was for the caller to read.
 */
public final class Parking {
    private Parking() {
    }

    /**
     * Parks the calling thread until unparked, interrupted, or spuriously woken.
     *
     * @param ts the calling thread's state, detached
     * @param blocker the object reported as the thread's blocker (thread dumps)
     */
    public static void park(ThreadState ts, Object blocker) {
        parkNanos(ts, blocker, 0L);
    }

    /**
     * Parks the calling thread for at most {@code nanos} nanoseconds, or until unparked,
     * interrupted, or spuriously woken.
     *
     * @param ts the calling thread's state, detached
     * @param blocker the object reported as the thread's blocker (thread dumps)
     * @param nanos the longest park, in nanoseconds; zero or less parks without a time limit
     */
    public static void parkNanos(ThreadState ts, Object blocker, long nanos) {
        if (!(Thread.currentThread() instanceof ForkJoinWorkerThread)) {
            plain(blocker, nanos);
            return;
        }
        OnePark one = new OnePark(ts, blocker, nanos);
        ts.attach(); // the pool's factory may run here, before the park: as on any attached thread
        try {
            ForkJoinPool.managedBlock(one);
        } catch (InterruptedException | RejectedExecutionException e) {
            if (!one.parked) {
                one.block();
            }
        } finally {
            ts.detach();
        }
    }

    private static void plain(Object blocker, long nanos) {
        if (nanos > 0) {
            LockSupport.parkNanos(blocker, nanos);
        } else {
            LockSupport.park(blocker);
        }
    }

    /** One park, as a {@link ForkJoinPool.ManagedBlocker}: releasable once it has parked. */
    private static final class OnePark implements ForkJoinPool.ManagedBlocker {
        private final ThreadState ts;
        private final Object blocker;
        private final long nanos;
        boolean parked;

        OnePark(ThreadState ts, Object blocker, long nanos) {
            this.ts = ts;
            this.blocker = blocker;
            this.nanos = nanos;
        }

        @Override
        public boolean block() {
            ts.detach();
            try {
                plain(blocker, nanos);
            } finally {
                parked = true;
                ts.attach();
            }
            return true;
        }

        @Override
        public boolean isReleasable() {
            return parked;
        }
    }
}
