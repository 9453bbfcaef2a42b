package org.safethread.internal.runtime;

import java.util.List;

/**
 * The names of the library's loggers: a small, stable set, documented in the user guide
 * ("Logging"), that users configure levels and appenders by. None names an internal class, so
 * moving code between internal classes never changes what a logging configuration matches.
 * Every SLF4J logger of the library is created with one of these names (LoggerNamesTest checks
 * each logger field against {@link #ALL}).
 */
public final class LoggerNames {
    /** Failures of the runtime's own threads and housekeeping (ERROR: impossible states). */
    public static final String RUNTIME = "org.safethread.runtime";
    /** {@code @Finalize} methods that threw or stalled; pending finalizers at JVM exit. */
    public static final String FINALIZER = "org.safethread.finalizer";
    /** Leak reports and their periodic summaries (a separate name, so they can be routed alone). */
    public static final String LEAKS = "org.safethread.leaks";
    /** Reference counts: over-releases, refused cores at death, owners that stay away. */
    public static final String REFCOUNT = "org.safethread.refcount";
    /** Collections (DEBUG) and background collections that failed. */
    public static final String COLLECTOR = "org.safethread.collector";
    /** Every broken deadlock (DEBUG). */
    public static final String DEADLOCK = "org.safethread.deadlock";
    /** Branches: the canceller's failures to interrupt a child. */
    public static final String BRANCH = "org.safethread.branch";
    /** The opt-in MXBean's registration. */
    public static final String JMX = "org.safethread.jmx";
    /**
     * The {@link System.Logger} of the one-time notice printed when SLF4J has no provider
     * ({@link Notices}); not an SLF4J logger.
     */
    public static final String NOTICES = "org.safethread";

    /** Every SLF4J logger name above. */
    public static final List<String> ALL = List.of(RUNTIME, FINALIZER, LEAKS, REFCOUNT, COLLECTOR, DEADLOCK, BRANCH, JMX);

    private LoggerNames() {
    }
}
