package org.safethread;

import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Child-JVM program for {@link RuntimeShutdownTest} (a JVM of its own, so that no other test's
 * runtime threads, e.g. a stalled finalizer left to finish, are alive). Prints {@code KEY value}
 * lines. Modes:
 * <ul>
 *   <li>{@code drain}: starts every runtime thread, queues slow finalizers, shuts down, lists
 *       the runtime threads left; then uses the library again (restart), shuts down again; then
 *       several threads shut down at once.</li>
 *   <li>{@code loader}: loads a whole copy of the library (and this test's classes) in a
 *       throwaway class loader, makes it start every runtime thread from a thread that then
 *       ends, shuts it down (or, with {@code loader noshutdown}, does not) and reports whether
 *       the loader was collected.</li>
 * </ul>
 */
public final class RuntimeShutdownMain {
    private RuntimeShutdownMain() {
    }

    @Shareable
    static final class SlowCore {
        static final AtomicInteger RAN = new AtomicInteger();

        @Finalize
        void close() throws InterruptedException {
            Thread.sleep(20);
            RAN.incrementAndGet();
        }
    }

    static final class Slow extends RefCounted {
        @FinalizerCore
        final SlowCore core = new SlowCore();
    }

    /** @return the names of the runtime's live threads (the JVM hook, never started, is not one) */
    static TreeSet<String> runtimeThreads() {
        TreeSet<String> names = new TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("safethread-")) {
                names.add(t.getName());
            }
        }
        return names;
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("drain")) {
            drain();
        } else {
            loader(args.length > 1 && args[1].equals("noshutdown"));
        }
    }

    private static void drain() throws Exception {
        startCanceller();
        ContextParts.startEveryRuntimeThread();
        System.out.println("BEFORE " + runtimeThreads());
        for (int i = 0; i < 20; i++) {
            new Slow().decref(); // 20 x 20 ms of finalizers, queued behind each other
        }
        System.out.println("PENDING " + SafeThread.stats().pendingFinalizers());
        boolean done = SafeThread.shutdown(Duration.ofSeconds(30));
        System.out.println("SHUTDOWN " + done + " ran=" + SlowCore.RAN.get() + " pending="
                + SafeThread.stats().pendingFinalizers());
        System.out.println("AFTER " + runtimeThreads());

        // Later use restarts the runtime.
        new Slow().decref();
        boolean ran = SafeThread.awaitFinalizers(Duration.ofSeconds(30));
        System.out.println("RESTARTED " + ran + " ran=" + SlowCore.RAN.get() + " " + runtimeThreads());
        System.out.println("SHUTDOWN2 " + SafeThread.shutdown(Duration.ofSeconds(30)) + " " + runtimeThreads());

        // Several threads shut down at once, with finalizers pending.
        for (int i = 0; i < 10; i++) {
            new Slow().decref();
        }
        int callers = 4;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        AtomicInteger trues = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        for (int i = 0; i < callers; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    if (SafeThread.shutdown(Duration.ofSeconds(30))) {
                        trues.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        System.out.println("CONCURRENT trues=" + trues.get() + "/" + callers + " ran=" + SlowCore.RAN.get()
                + " failed=" + failed.get() + " " + runtimeThreads());
    }

    /** A cancelled branch whose child swallows interrupts for a while starts safethread-canceller. */
    private static void startCanceller() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        try (Branch b = Branch.open()) {
            b.fork(() -> {
                started.countDown();
                long end = System.nanoTime() + Duration.ofMillis(300).toNanos();
                while (System.nanoTime() < end) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException swallowed) {
                        // keeps running: the canceller interrupts it again
                    }
                }
            });
            started.await();
            b.cancel();
            System.out.println("CANCELLER " + RuntimeThreadContextMain.running("safethread-canceller"));
            b.join();
        }
    }

    /** Loads everything on the class path again, below the platform loader: a second, private copy. */
    static final class AppLoader extends URLClassLoader {
        AppLoader(URL[] urls) {
            super("app", urls, ClassLoader.getPlatformClassLoader());
        }
    }

    private static void loader(boolean noShutdown) throws Exception {
        WeakReference<ClassLoader> ref = runApp(noShutdown);
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        System.out.println("THREADS " + runtimeThreads());
        System.out.println(ref.get() == null ? "COLLECTED" : "RETAINED");
    }

    private static WeakReference<ClassLoader> runApp(boolean noShutdown) throws Exception {
        String[] entries = System.getProperty("java.class.path").split(java.io.File.pathSeparator);
        URL[] urls = new URL[entries.length];
        for (int i = 0; i < entries.length; i++) {
            urls[i] = Path.of(entries[i]).toUri().toURL();
        }
        AppLoader app = new AppLoader(urls);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        // The application's request thread: it uses the library, then ends (as a container's
        // threads outlive one application, the shutdown is called from another thread).
        Thread work = new Thread(() -> {
            try {
                Class<?> parts = app.loadClass(ContextParts.class.getName());
                if (parts.getClassLoader() != app) {
                    throw new AssertionError("not a private copy");
                }
                parts.getMethod("startEveryRuntimeThread").invoke(null);
            } catch (Throwable e) {
                failed.set(e);
            }
        }, "app-work");
        work.setContextClassLoader(app);
        work.start();
        work.join();
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
        System.out.println("STARTED " + runtimeThreads());
        if (!noShutdown) {
            Thread stop = new Thread(() -> {
                try {
                    Class<?> st = app.loadClass(SafeThread.class.getName());
                    Object done = st.getMethod("shutdown", Duration.class).invoke(null, Duration.ofSeconds(30));
                    System.out.println("SHUTDOWN " + done);
                } catch (Throwable e) {
                    failed.set(e);
                }
            }, "app-stop");
            stop.setContextClassLoader(app);
            stop.start();
            stop.join();
            if (failed.get() != null) {
                throw new AssertionError(failed.get());
            }
        }
        app.close();
        return new WeakReference<>(app);
    }
}
