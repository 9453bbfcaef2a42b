package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.safethread.internal.monitor.MonitorLock;

/**
 * Helpers shared by the monitor and deadlock tests: threads whose failures are captured and whose
 * joins are bounded (a hang fails the test instead of blocking it), platform and virtual thread
 * starters (virtual threads are created reflectively: the tests compile with {@code --release 17}),
 * and probes that show a monitor is held.
 */
final class MonitorTesting {
    /** How long any single wait in these tests may take before it counts as a hang. */
    static final Duration HANG = Duration.ofSeconds(20);

    private MonitorTesting() {
    }

    /** Code that may throw anything. */
    @FunctionalInterface
    interface Body {
        void run() throws Throwable;
    }

    /** Starts threads of one kind. */
    interface Starter {
        Thread start(String name, Runnable r);

        /** @return whether the threads are virtual */
        boolean virtual();
    }

    static final Starter PLATFORM = new Starter() {
        @Override
        public Thread start(String name, Runnable r) {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.start();
            return t;
        }

        @Override
        public boolean virtual() {
            return false;
        }

        @Override
        public String toString() {
            return "platform";
        }
    };

    /**
     * Virtual threads, built through {@code Thread.ofVirtual()} by reflection (JDK 21+ only).
     * A null name makes an unnamed virtual thread.
     */
    static final Starter VIRTUAL = new Starter() {
        @Override
        public Thread start(String name, Runnable r) {
            try {
                Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
                Class<?> builderType = Class.forName("java.lang.Thread$Builder");
                if (name != null) {
                    builder = builderType.getMethod("name", String.class).invoke(builder, name);
                }
                Thread t = (Thread) builderType.getMethod("unstarted", Runnable.class).invoke(builder, r);
                t.start();
                return t;
            } catch (InvocationTargetException e) {
                throw new IllegalStateException(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("virtual threads need JDK 21+", e);
            }
        }

        @Override
        public boolean virtual() {
            return true;
        }

        @Override
        public String toString() {
            return "virtual";
        }
    };

    /** @return whether {@code t} is a virtual thread (false before JDK 21) */
    static boolean isVirtual(Thread t) {
        try {
            Method m = Thread.class.getMethod("isVirtual");
            return (Boolean) m.invoke(t);
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /** A thread running a {@link Body}, remembering what it threw. */
    static final class Worker {
        final Thread thread;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);

        Worker(Starter starter, String name, Body body) {
            this.thread = starter.start(name, () -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    done.countDown();
                }
            });
        }

        /** Waits for the thread to end; fails the test if it does not within {@link #HANG}. */
        Worker join() throws InterruptedException {
            if (!done.await(HANG.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("thread " + thread.getName() + " did not finish within " + HANG + "; stack: "
                        + stack(thread));
            }
            thread.join(HANG.toMillis());
            return this;
        }

        /** Joins and rethrows what the body threw, if anything. */
        void joinAndCheck() throws Throwable {
            join();
            Throwable t = failure.get();
            if (t != null) {
                throw t;
            }
        }

        Throwable joinAndGetFailure() throws InterruptedException {
            join();
            return failure.get();
        }

        boolean finished() {
            return done.getCount() == 0;
        }
    }

    static Worker start(String name, Body body) {
        return new Worker(PLATFORM, name, body);
    }

    static Worker start(Starter starter, String name, Body body) {
        return new Worker(starter, name, body);
    }

    static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("\n\tat ").append(e);
        }
        return b.toString();
    }

    /** Waits (bounded) until {@code t} is parked entering a monitor (its park blocker is a monitor lock). */
    static void awaitBlockedEntering(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + HANG.toNanos();
        while (!(LockSupport.getBlocker(t) instanceof MonitorLock && isParked(t))) {
            if (!t.isAlive()) {
                fail("thread " + t.getName() + " ended instead of blocking on a monitor");
            }
            if (System.nanoTime() > deadline) {
                fail("thread " + t.getName() + " did not block on a monitor within " + HANG + "; stack: " + stack(t));
            }
            Thread.sleep(1);
        }
    }

    /** Waits (bounded) until {@code t} is parked entering exactly {@code monitor}. */
    static void awaitBlockedEntering(Thread t, Object monitor) throws InterruptedException {
        MonitorLock lock = org.safethread.internal.monitor.MonitorAccess.lockOf(monitor).space; // a space member parks on its space's lock
        long deadline = System.nanoTime() + HANG.toNanos();
        while (!(LockSupport.getBlocker(t) == lock && isParked(t))) {
            if (!t.isAlive()) {
                fail("thread " + t.getName() + " ended instead of blocking on " + monitor);
            }
            if (System.nanoTime() > deadline) {
                fail("thread " + t.getName() + " did not block on " + monitor + " within " + HANG + "; stack: "
                        + stack(t));
            }
            Thread.sleep(1);
        }
    }

    private static boolean isParked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    /**
     * Called inside a monitor method: starts a probe thread that enters the same monitor through
     * {@code entry} and waits until it blocks there (fails if it gets through instead). The probe
     * completes once the caller leaves the monitor; it is added to {@code probes} to be joined.
     *
     * @return "held"
     */
    static String proveHeld(Body entry, java.util.Collection<Worker> probes) {
        Worker probe = start("probe", entry);
        probes.add(probe);
        try {
            awaitBlockedEntering(probe.thread);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return probe.finished() ? "NOT held" : "held";
    }

    /** Counts down and awaits a latch, failing the test (unchecked) on a hang. */
    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(HANG.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("latch not released within " + HANG);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Awaits a barrier, failing (unchecked) on a hang. */
    static void await(CyclicBarrier barrier) {
        try {
            barrier.await(HANG.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (BrokenBarrierException | TimeoutException e) {
            throw new AssertionError("barrier broken or timed out", e);
        }
    }

    /** Joins every worker and collects their failures. */
    static List<Throwable> joinAll(List<Worker> workers) throws InterruptedException {
        List<Throwable> out = new ArrayList<>();
        for (Worker w : workers) {
            Throwable t = w.joinAndGetFailure();
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    /** Asserts that no worker failed, showing the first failure's stack if one did. */
    static void assertNoFailures(List<Worker> workers) throws InterruptedException {
        List<Throwable> failures = joinAll(workers);
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " worker(s) failed; first: " + failures.get(0));
            e.initCause(failures.get(0));
            throw e;
        }
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+
    static long id(Thread t) {
        return t.getId();
    }

    /** Asserts that {@code t} is (still) a thread that has ended. */
    static void assertEnded(Thread t) {
        assertThat(t.isAlive()).as("thread %s alive", t.getName()).isFalse();
    }

    /** A monitor to hold while something else happens (the light-registration and queue tests). */
    public static class Gate {
        private int entries;

        /** @return the entries so far, this one included */
        @MonitorMethod
        public int enter() {
            return ++entries;
        }

        /** Counts an entry and runs {@code r} inside the monitor. */
        @MonitorMethod
        public void holdWhile(Runnable r) {
            entries++;
            r.run();
        }
    }

    /** Waits (bounded) until {@code t} is parked in a registered wait (full or light) of the wait-for graph. */
    static void awaitWaitingInGraph(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + HANG.toNanos();
        for (;;) {
            org.safethread.internal.runtime.ThreadState ts = org.safethread.internal.runtime.ThreadRegistry.stateOf(t);
            if (ts != null && org.safethread.internal.deadlock.WaitForGraph.waitingFor(ts) != null && isParked(t)) {
                return;
            }
            assertThat(System.nanoTime()).as("%s waiting in the graph", t.getName()).isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
