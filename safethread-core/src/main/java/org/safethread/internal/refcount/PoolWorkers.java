package org.safethread.internal.refcount;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * Recognises threads that cannot cooperate with biased counting: pool workers, which idle in
 * their pool's queue (outside the runtime) for as long as no task comes, so that an object whose
 * death needs their plain count could wait for ever.
 *
 * <p>A thread is a pool worker if, at its first call into the runtime (when its state is
 * created, on the thread itself):
 * <ul>
 *   <li>it is a {@link ForkJoinWorkerThread} ({@code ForkJoinPool}, its common pool, and so
 *       {@code CompletableFuture}'s default executor and parallel streams);</li>
 *   <li>it is a virtual thread (JDK 21+; found through {@code Thread.isVirtual} by reflection,
 *       since this library is compiled for Java 17): a virtual thread may block anywhere for any
 *       time, and there are usually many, each short-lived;</li>
 *   <li>its stack runs inside an {@link Executor} implementation or a class nested in one
 *       ({@code ThreadPoolExecutor.runWorker}, {@code ScheduledThreadPoolExecutor}, Tomcat's,
 *       Jetty's and Netty's executors...), or inside {@code java.util.Timer}'s thread: one
 *       {@link StackWalker} pass, once per thread.</li>
 * </ul>
 * A thread that is not recognised but later found idle while objects wait on it is handled by
 * {@link IdleOwners}. A false positive (say, a caller-runs rejection policy running a task on
 * the submitting thread at its first runtime call) costs speed, never correctness: the thread's
 * objects are counted atomically.
 */
final class PoolWorkers {
    /** {@code Thread.isVirtual()} where the JDK has it (21+), else null. */
    private static final MethodHandle IS_VIRTUAL = findIsVirtual();
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private PoolWorkers() {
    }

    private static MethodHandle findIsVirtual() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null; // JDK 17-20: no virtual threads
        }
    }

    /** @return whether {@code t} is a virtual thread */
    static boolean isVirtual(Thread t) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(t);
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * @return whether the calling thread is a pool worker (see the class comment); call it on the
     *     thread itself
     */
    static boolean isCurrentThreadPoolWorker() {
        Thread t = Thread.currentThread();
        if (t instanceof ForkJoinWorkerThread || isVirtual(t)) {
            return true;
        }
        return WALKER.walk(frames -> frames.anyMatch(f -> isPoolFrame(f.getDeclaringClass())));
    }

    /** @return whether a frame of class {@code c} means the thread runs a pool's loop */
    static boolean isPoolFrame(Class<?> c) {
        if (c.getName().equals("java.util.TimerThread")) {
            return true;
        }
        try {
            for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
                if (Executor.class.isAssignableFrom(k)) {
                    return true;
                }
            }
        } catch (LinkageError | SecurityException e) {
            // a class whose nest cannot be resolved: judge by the frame's own class only
            return Executor.class.isAssignableFrom(c);
        }
        return false;
    }
}
