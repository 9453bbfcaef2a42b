package org.safethread;

import java.lang.reflect.InvocationTargetException;
import java.util.Collection;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Helpers for the branch tests: platform and virtual branches, a counting thread factory. */
final class BranchTesting {
    private BranchTesting() {
    }

    /** How a test's branches make their children's threads. */
    enum Kind {
        /** {@link Branch#open()}: platform threads. */
        PLATFORM,
        /** {@link Branch#open(ThreadFactory)} with {@code Thread.ofVirtual().factory()} (JDK 21+). */
        VIRTUAL;

        Branch open() {
            return this == PLATFORM ? Branch.open() : Branch.open(virtualFactory());
        }

        boolean available() {
            return this == PLATFORM || Runtime.version().feature() >= 21;
        }
    }

    /** @return {@code Thread.ofVirtual().factory()}, built reflectively (tests compile with --release 17) */
    static ThreadFactory virtualFactory() {
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            Class<?> builderType = Class.forName("java.lang.Thread$Builder");
            return (ThreadFactory) builderType.getMethod("factory").invoke(builder);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("virtual threads need JDK 21+", e);
        }
    }

    /** A platform-thread factory that counts the threads it made. */
    static final class CountingFactory implements ThreadFactory {
        final AtomicInteger made = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            made.incrementAndGet();
            Thread t = new Thread(r, "counted-" + made.get());
            t.setDaemon(true);
            return t;
        }
    }

    /** Sleeps up to 60 s, for a child that must be cancelled to end soon. */
    static Void sleepLong() throws InterruptedException {
        Thread.sleep(60_000);
        return null;
    }

    static boolean anyAlive(Collection<Thread> threads) {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }
}
