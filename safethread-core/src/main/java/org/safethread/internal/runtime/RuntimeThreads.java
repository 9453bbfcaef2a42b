package org.safethread.internal.runtime;

import java.security.AccessController;
import java.security.PrivilegedAction;
import java.util.concurrent.TimeUnit;

/**
 * The one factory of the runtime's own threads ({@code safethread-finalizer},
 * {@code safethread-housekeeper}, {@code safethread-collector}, {@code safethread-canceller}, the
 * shutdown hook): named, daemon,
 * normal priority, and holding nothing inherited from whichever thread happened to start them.
 *
 * <h2>Implementation notes</h2>
 * A thread started lazily by the runtime is started by an arbitrary user thread, often one running
 * code of a plugin or web application with its own class loader. A plain {@code new Thread(...)}
 * copies from its creator, and keeps for its whole life:
 * <ul>
 *   <li>the context class loader: set here to the system class loader, which is never unloaded;</li>
 *   <li>the access-control context (JDK 17 to 23: {@code Thread} snapshots
 *       {@code AccessController.getContext()}, whose protection domains hold the class loaders of
 *       every class on the creator's stack): the thread is created inside
 *       {@link AccessController#doPrivileged(PrivilegedAction)}, so the snapshot stops at this
 *       class's frame and names only this library's protection domain (the fix application servers
 *       use for the same leak, e.g. Tomcat's and Jetty's thread factories);</li>
 *   <li>inheritable thread-locals: not copied ({@code inheritThreadLocals = false});</li>
 *   <li>the thread group: the root group, not the creator's (which an application server may
 *       destroy with its application);</li>
 *   <li>daemon status and priority: set explicitly.</li>
 * </ul>
 * On JDK 24 and later the access-control context is gone and {@code doPrivileged} only runs its
 * action; the rest still applies.
 */
public final class RuntimeThreads {
    private static final ThreadGroup ROOT = rootGroup();

    private RuntimeThreads() {
    }

    /**
     * Creates (does not start) a runtime thread.
     *
     * @param name the thread's name ({@code safethread-...})
     * @param body what it runs
     * @return the new, unstarted daemon thread
     */
    @SuppressWarnings("removal") // AccessController: the JDK 17 way to not inherit the caller's context
    public static Thread newThread(String name, Runnable body) {
        return AccessController.doPrivileged((PrivilegedAction<Thread>) () -> {
            Thread t = new Thread(ROOT, body, name, 0, false);
            t.setDaemon(true);
            t.setPriority(Thread.NORM_PRIORITY);
            t.setContextClassLoader(ClassLoader.getSystemClassLoader());
            t.setUncaughtExceptionHandler(REPORT_UNCAUGHT);
            return t;
        });
    }

    /** The runtime threads' uncaught-exception handler (one instance, so a reset can tell it apart). */
    private static final Thread.UncaughtExceptionHandler REPORT_UNCAUGHT = SafeText::reportUncaught;

    /**
     * Puts back what user code run on a runtime thread (a {@code @Finalize} method, on the
     * finalizer thread) may have changed of the thread's settings: its name, priority, context
     * class loader and uncaught-exception handler, as {@link #newThread} set them. Otherwise a
     * core that sets its plugin's class loader as the context loader would keep that plugin
     * reachable for good (and hand it to every later core, of any application), and one that
     * renames or deprioritizes the thread would do so for all later ones. (Thread-locals a core
     * leaves behind cannot be cleared from outside; the daemon flag cannot change once started.)
     * A few reads per core; each write only when something changed.
     *
     * @param t the calling runtime thread
     * @param name the name it was given
     */
    public static void resetAfterUserCode(Thread t, String name) {
        if (t.getContextClassLoader() != ClassLoader.getSystemClassLoader()) {
            t.setContextClassLoader(ClassLoader.getSystemClassLoader());
        }
        if (t.getPriority() != Thread.NORM_PRIORITY) {
            t.setPriority(Thread.NORM_PRIORITY);
        }
        if (t.getUncaughtExceptionHandler() != REPORT_UNCAUGHT) {
            t.setUncaughtExceptionHandler(REPORT_UNCAUGHT);
        }
        if (!t.getName().equals(name)) {
            t.setName(name);
        }
    }

    /**
     * Creates and starts a runtime thread.
     *
     * @param name the thread's name
     * @param body what it runs
     * @return the started thread
     */
    public static Thread start(String name, Runnable body) {
        Thread t = newThread(name, body);
        t.start();
        return t;
    }

    /**
     * One long-lived runtime thread that is started on first need and replaced if it ever ends
     * (a runtime thread is never lost: every body contains its own failures, and this is the
     * backstop for what escapes anyway).
     *
     * <p>Implementation notes: the current thread is published by a CAS from the thread seen
     * ended (or null) to a fresh unstarted one; only the winner starts its thread, so at most one
     * is running. A NEW thread counts as running (it is about to start); only TERMINATED is
     * replaced. The check is one volatile read and a read of the thread's status word.
     *
     * <p>Stopping ({@link #stop}, for {@code SafeThread.shutdown}): the slot is emptied by a
     * swap to null, then the thread is unparked. The body's loop runs only while
     * {@link #keepRunning()} (the slot still holds the calling thread: one volatile read per
     * round), so the stopped thread leaves at its next round (a body whose pending work some
     * other thread waits for may finish it first: the canceller serves the branches it watches
     * until a fresh canceller takes over or their children end). A later {@link #ensureRunning}
     * finds the slot empty and starts a fresh thread: a stop is never a permanent state, and a
     * stopped thread that has not left yet cannot be confused with the fresh one (each compares
     * the slot with itself).
     */
    public static final class Slot {
        private final String name;
        private final Runnable body;
        private final java.util.concurrent.atomic.AtomicReference<Thread> current =
                new java.util.concurrent.atomic.AtomicReference<>();

        /**
         * @param name the thread's name
         * @param body its loop; it should not return (if it does, the next {@link #ensureRunning} starts it again)
         */
        public Slot(String name, Runnable body) {
            this.name = name;
            this.body = body;
            SLOTS.add(this);
        }

        /**
         * For the body's loop: whether the calling thread is still this slot's thread.
         *
         * @return false once the slot was stopped (or another thread took it over): leave
         */
        public boolean keepRunning() {
            return current.get() == Thread.currentThread();
        }

        /**
         * Stops the thread: empties the slot, unparks the thread so that it sees
         * {@link #keepRunning()} false, and waits for it to end.
         *
         * @param deadlineNanos the {@link System#nanoTime()} by which to give up waiting
         * @return true if no thread runs for this slot (it ended, or none had started); false
         *     if it is still alive at the deadline or the caller was interrupted (its interrupt
         *     status is then set)
         */
        public boolean stop(long deadlineNanos) {
            Thread t = tellToStop();
            return t == null || join(t, deadlineNanos);
        }

        /**
         * The first half of {@link #stop}: empties the slot and unparks the thread, without waiting.
         *
         * @return the thread told to stop, or null if the slot was empty
         */
        Thread tellToStop() {
            Thread t = current.getAndSet(null);
            if (t != null) {
                java.util.concurrent.locks.LockSupport.unpark(t);
            }
            return t;
        }

        /** Starts the thread if it has not started yet or has ended. @return the running thread */
        public Thread ensureRunning() {
            for (;;) {
                Thread t = current.get();
                if (t != null && t.getState() != Thread.State.TERMINATED) {
                    return t;
                }
                Thread fresh = newThread(name, body);
                if (current.compareAndSet(t, fresh)) {
                    fresh.start();
                    return fresh;
                }
            }
        }

        /** @return the thread, or null if never started (it may have ended) */
        public Thread peek() {
            return current.get();
        }
    }

    /** Every slot made so far (a handful, one per kind of long-lived runtime thread). */
    private static final java.util.concurrent.CopyOnWriteArrayList<Slot> SLOTS =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Stops the thread of every slot ({@link Slot#stop}): the housekeeper, the collector, the
     * canceller. Every slot is told first, then each thread is waited for, so that one that takes
     * long to leave (the canceller serves the cancelled branches whose owners still wait in
     * {@code join} before it leaves) does not hold back the others' stop. The finalizer's workers
     * are not slots: {@code Finalizers} stops them.
     *
     * @param deadlineNanos the {@link System#nanoTime()} by which to give up waiting
     * @return true if every slot's thread ended in time
     */
    public static boolean stopSlots(long deadlineNanos) {
        java.util.List<Thread> told = new java.util.ArrayList<>(SLOTS.size());
        for (Slot s : SLOTS) {
            Thread t = s.tellToStop();
            if (t != null) {
                told.add(t);
            }
        }
        boolean all = true;
        for (Thread t : told) {
            all &= join(t, deadlineNanos);
        }
        return all;
    }

    /**
     * Waits for {@code t} to end.
     *
     * @param t a thread
     * @param deadlineNanos the {@link System#nanoTime()} by which to give up
     * @return true if it ended; false at the deadline or on interrupt (the status is then set)
     */
    public static boolean join(Thread t, long deadlineNanos) {
        try {
            for (;;) {
                if (!t.isAlive()) {
                    return true;
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedJoin(t, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @SuppressWarnings("removal")
    private static ThreadGroup rootGroup() {
        return AccessController.doPrivileged((PrivilegedAction<ThreadGroup>) () -> {
            ThreadGroup g = Thread.currentThread().getThreadGroup();
            while (g.getParent() != null) {
                g = g.getParent();
            }
            return g;
        });
    }

    // ---- liveness, for RuntimeStats.liveRuntimeThreads() ----

    /**
     * The runtime's threads that have started: each registers itself when it starts
     * ({@link ThreadState#markRuntimeThread()}); ended ones are dropped when counted. There are a
     * handful, so a scan is cheap and only runs when someone asks.
     */
    private static final java.util.concurrent.ConcurrentLinkedQueue<Thread> STARTED =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    static void started(Thread t) {
        STARTED.add(t);
    }

    /** @return runtime threads alive now */
    public static int live() {
        STARTED.removeIf(t -> !t.isAlive());
        int n = 0;
        for (Thread t : STARTED) {
            if (t.isAlive()) {
                n++;
            }
        }
        return n;
    }
}
