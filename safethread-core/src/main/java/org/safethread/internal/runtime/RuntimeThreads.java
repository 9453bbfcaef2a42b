package org.safethread.internal.runtime;

import java.security.AccessController;
import java.security.PrivilegedAction;

/**
 * The one factory of the runtime's own threads ({@code safethread-finalizer},
 * {@code safethread-housekeeper}, {@code safethread-collector}, the shutdown hook): named, daemon,
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
            t.setUncaughtExceptionHandler(SafeText::reportUncaught);
            return t;
        });
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
