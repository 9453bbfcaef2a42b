package org.safethread.internal.runtime;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes failures visible when SLF4J would drop their report: with no SLF4J provider on the
 * class path (SLF4J then falls back to its no-operation logger) or with the level turned off, a
 * failing finalizer or a leak would otherwise show only in {@code SafeThread.stats()}. The first
 * such failure prints one notice on the JDK's {@link System.Logger} ({@code java.util.logging}
 * by default, so it reaches standard error) naming what happened and how to see the rest; the
 * failures themselves are also JFR events (category {@code safethread}). Netty does the same
 * when it finds no logging backend.
 *
 * <h2>Implementation notes</h2>
 * <p>One {@link AtomicBoolean} makes the notice print at most once per JVM, whatever the number
 * of threads that fail at once; the CAS is only reached on a failure path.
 */
public final class Notices {
    /** The System.Logger name: stable, documented in the guide, not an internal class name. */
    public static final String LOGGER_NAME = LoggerNames.NOTICES;

    private static final AtomicBoolean NOTIFIED = new AtomicBoolean();

    private Notices() {
    }

    /**
     * Prints the one-time notice if SLF4J did not take this failure's report.
     *
     * @param logged whether the SLF4J logger that reported the failure is enabled for its level
     * @param what what failed, e.g. "a @Finalize method threw"
     */
    public static void unlogged(boolean logged, String what) {
        if (logged || NOTIFIED.get() || !NOTIFIED.compareAndSet(false, true)) {
            return;
        }
        System.getLogger(LOGGER_NAME).log(System.Logger.Level.WARNING,
                "safethread: " + what + ", but SLF4J has no logging provider (or the level is off), so this "
                        + "and later failures are not logged. Add an SLF4J provider (e.g. slf4j-simple or "
                        + "logback-classic) to see them; until then watch SafeThread.stats() or the JFR events "
                        + "of category 'safethread'. This notice is printed once.");
    }

    /** @return whether the notice was printed (for tests) */
    public static boolean printed() {
        return NOTIFIED.get();
    }
}
