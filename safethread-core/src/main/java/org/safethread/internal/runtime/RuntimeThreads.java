package org.safethread.internal.runtime;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The runtime's own threads, for {@code RuntimeStats.liveRuntimeThreads()}: each registers
 * itself when it starts ({@link ThreadState#markRuntimeThread()}); ended ones are dropped when
 * counted. There are a handful (collector, finalizer, housekeeper, replaced stalled finalizers),
 * so a scan is cheap and only runs when someone asks.
 */
public final class RuntimeThreads {
    private static final ConcurrentLinkedQueue<Thread> THREADS = new ConcurrentLinkedQueue<>();

    private RuntimeThreads() {
    }

    static void started(Thread t) {
        THREADS.add(t);
    }

    /** @return runtime threads alive now */
    public static int live() {
        THREADS.removeIf(t -> !t.isAlive());
        int n = 0;
        for (Thread t : THREADS) {
            if (t.isAlive()) {
                n++;
            }
        }
        return n;
    }
}
