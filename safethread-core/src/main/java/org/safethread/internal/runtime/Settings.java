package org.safethread.internal.runtime;

import java.time.Duration;
import java.util.Locale;

/**
 * The runtime's settings, read once from {@code safethread.*} system properties.
 *
 * <p>Fields are volatile so that tests (and embedders that know what they do) can change them
 * through the {@code set…} methods at run time; the library reads them where it uses them.
 * A malformed property is refused with an {@link IllegalArgumentException} that names the
 * property, the value, and the accepted forms.
 */
public final class Settings {

    /** The longest duration the runtime can time: its deadlines are {@code long} nanoseconds (about 292 years). */
    private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);
    /** Default stall timeout: a finalizer running longer than this is reported and replaced. */
    private static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(10);
    /** Default shutdown drain: long enough for ordinary cleanup, short enough not to hang exit. */
    private static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);
    /** Default candidate threshold for a background collection (CPython's gen-0 is 700; ours batch more). */
    private static final int DEFAULT_COLLECTOR_THRESHOLD = 10_000;
    /** Default time a collection waits for running threads to reach a safe point. */
    private static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofMillis(5);
    /**
     * Default spins before a contended monitor entry parks. Zero: on the 2-core reference machine
     * parking at once beat spinning both in the contended benchmark and in the bank demo (a
     * spinner bounces the lock's cache line, and parking is cheap since releasers unpark only
     * armed waiters). Raise it on many-core machines with very short critical sections.
     */
    private static final int DEFAULT_MONITOR_SPINS = 0;
    /**
     * Default time objects may wait on an owner that does not come back before the runtime
     * reports it and stops biasing that thread's new objects: the "more than a second",
     * long enough that a thread busy in a long computation between runtime calls is not flagged.
     */
    private static final Duration DEFAULT_IDLE_OWNER_TIMEOUT = Duration.ofSeconds(1);

    /** Leak detection off: only objects with a finalizer core are watched (to finalize them if leaked). */
    public static final int LEAKS_OFF = 0;
    /** Every {@code RefCounted} is watched; a leak is reported without an allocation site. */
    public static final int LEAKS_SIMPLE = 1;
    /** Every object is watched; one in {@link #leakSampleInterval()} records its allocation site. */
    public static final int LEAKS_SAMPLED = 2;
    /** Every object is watched and records its allocation site (a stack trace per allocation). */
    public static final int LEAKS_PARANOID = 3;
    /** The forms {@code safethread.leakDetection} accepts, for error messages. */
    private static final String LEAK_FORMS = "off, simple, sampled:N (N a whole number of at least 1) or paranoid";

    private static volatile long deadlockDelayNanos;
    private static volatile int monitorSpins;
    private static volatile long stallTimeoutNanos;
    private static volatile long shutdownTimeoutNanos;
    /** Leak detection level: one of the {@code LEAKS_*} constants. */
    private static volatile int leakLevel;
    /** Under {@link #LEAKS_SAMPLED}: record the allocation site of one in this many objects. */
    private static volatile int leakSampleInterval;
    private static volatile boolean jmx;
    private static volatile int collectorThreshold;
    private static volatile boolean collectorEnabled;
    private static volatile long handshakeTimeoutNanos;
    private static volatile boolean biasPoolWorkers;
    private static volatile long idleOwnerTimeoutNanos;
    private static volatile boolean oneMonitorPerTarget;

    static {
        deadlockDelayNanos = duration("safethread.deadlock.delay", Duration.ZERO).toNanos();
        monitorSpins = integer("safethread.monitor.spins", DEFAULT_MONITOR_SPINS, 0);
        stallTimeoutNanos = duration("safethread.finalizer.stallTimeout", DEFAULT_STALL_TIMEOUT).toNanos();
        shutdownTimeoutNanos = duration("safethread.finalizer.shutdownTimeout", DEFAULT_SHUTDOWN_TIMEOUT).toNanos();
        applyLeakDetection(leakDetectionProperty());
        jmx = bool("safethread.jmx", false);
        collectorThreshold = integer("safethread.collector.threshold", DEFAULT_COLLECTOR_THRESHOLD, 1);
        collectorEnabled = bool("safethread.collector.enabled", true);
        handshakeTimeoutNanos = duration("safethread.collector.handshakeTimeout", DEFAULT_HANDSHAKE_TIMEOUT).toNanos();
        biasPoolWorkers = bool("safethread.refcount.biasPoolWorkers", false);
        idleOwnerTimeoutNanos = positive("safethread.refcount.idleOwnerTimeout",
                duration("safethread.refcount.idleOwnerTimeout", DEFAULT_IDLE_OWNER_TIMEOUT)).toNanos();
        oneMonitorPerTarget = bool("safethread.monitor.oneMonitorPerTarget", true);
    }

    private Settings() {
    }

    /** @return how long a blocked monitor entry waits before looking for a deadlock (0: at once) */
    public static long deadlockDelayNanos() {
        return deadlockDelayNanos;
    }

    /** @return spins of a contended monitor entry before it parks */
    public static int monitorSpins() {
        return monitorSpins;
    }

    /** @return how long one finalizer may run before a fresh finalizer thread takes over */
    public static long stallTimeoutNanos() {
        return stallTimeoutNanos;
    }

    /** @return how long JVM shutdown waits for pending finalizers */
    public static long shutdownTimeoutNanos() {
        return shutdownTimeoutNanos;
    }

    /** @return the leak detection level: {@link #LEAKS_OFF}, {@link #LEAKS_SIMPLE}, {@link #LEAKS_SAMPLED} or {@link #LEAKS_PARANOID} */
    public static int leakLevel() {
        return leakLevel;
    }

    /** @return under {@link #LEAKS_SAMPLED}, one in how many allocations records its site */
    public static int leakSampleInterval() {
        return leakSampleInterval;
    }

    /** @return the leak detection setting in the form {@code safethread.leakDetection} takes */
    public static String leakDetection() {
        return switch (leakLevel) {
            case LEAKS_SIMPLE -> "simple";
            case LEAKS_SAMPLED -> "sampled:" + leakSampleInterval;
            case LEAKS_PARANOID -> "paranoid";
            default -> "off";
        };
    }

    /** @return whether the JMX bean is registered ({@code safethread.jmx}) */
    public static boolean jmx() {
        return jmx;
    }

    /** @return candidates that trigger a background collection (the adaptive floor) */
    public static int collectorThreshold() {
        return collectorThreshold;
    }

    /**
     * @return whether {@code Monitor.of} records each guarded object and refuses a second monitor
     *     of it ({@code safethread.monitor.oneMonitorPerTarget}; on by default)
     */
    public static boolean oneMonitorPerTarget() {
        return oneMonitorPerTarget;
    }

    /** @return whether background collections run */
    public static boolean collectorEnabled() {
        return collectorEnabled;
    }

    /** @return how long a collection waits for running threads to reach a safe point */
    public static long handshakeTimeoutNanos() {
        return handshakeTimeoutNanos;
    }

    /**
     * @return whether threads recognised as pool workers (executors, fork/join, virtual threads)
     *     still create owner-biased objects; false by default, so that their objects never wait
     *     for a worker idling in its pool
     */
    public static boolean biasPoolWorkers() {
        return biasPoolWorkers;
    }

    /**
     * @return how long objects may wait on an owner that does not come back to the runtime before
     *     it is reported and its new objects are counted on the shared word
     */
    public static long idleOwnerTimeoutNanos() {
        return idleOwnerTimeoutNanos;
    }

    /** @param on whether monitors made from now on record their targets and refuse a second monitor of one */
    public static void setOneMonitorPerTarget(boolean on) {
        oneMonitorPerTarget = on;
    }

    /** @param on whether pool workers that start using the runtime from now on create biased objects */
    public static void setBiasPoolWorkers(boolean on) {
        biasPoolWorkers = on;
    }

    /** @param timeout the new idle-owner timeout; must be positive */
    public static void setIdleOwnerTimeout(Duration timeout) {
        idleOwnerTimeoutNanos = positive("idle owner timeout", timeout).toNanos();
    }

    /** @param delay the new deadlock detection delay; zero detects at once */
    public static void setDeadlockDelay(Duration delay) {
        deadlockDelayNanos = nonNegative("deadlock delay", delay).toNanos();
    }

    /** @param timeout the new finalizer stall timeout; must be positive */
    public static void setStallTimeout(Duration timeout) {
        stallTimeoutNanos = positive("finalizer stall timeout", timeout).toNanos();
    }

    /** @param timeout the new shutdown drain timeout */
    public static void setShutdownTimeout(Duration timeout) {
        shutdownTimeoutNanos = nonNegative("finalizer shutdown timeout", timeout).toNanos();
    }

    /**
     * The old boolean switch, kept as an alias: {@code true} is {@code paranoid}, {@code false} is
     * {@code off}.
     *
     * @param on whether to record every allocation site for leak reports
     */
    public static void setLeakTracking(boolean on) {
        applyLeakDetection(on ? "paranoid" : "off");
    }

    /**
     * @param level {@code off}, {@code simple}, {@code sampled:N} or {@code paranoid}
     * @throws IllegalArgumentException if {@code level} is none of these
     */
    public static void setLeakDetection(String level) {
        applyLeakDetection(level);
    }

    /**
     * {@code safethread.leakDetection}, or the old {@code safethread.leakTracking} (true: paranoid)
     * when only that is set.
     */
    private static String leakDetectionProperty() {
        String raw = System.getProperty("safethread.leakDetection");
        if (raw != null && !raw.isBlank()) {
            return raw;
        }
        return bool("safethread.leakTracking", false) ? "paranoid" : "off";
    }

    private static void applyLeakDetection(String raw) {
        String v = raw == null ? "" : raw.trim().toLowerCase(Locale.ROOT);
        int interval = 1;
        int level;
        if (v.equals("off") || v.equals("disabled") || v.equals("false")) {
            level = LEAKS_OFF;
        } else if (v.equals("simple")) {
            level = LEAKS_SIMPLE;
        } else if (v.equals("paranoid") || v.equals("true")) {
            level = LEAKS_PARANOID;
        } else if (v.startsWith("sampled:")) {
            level = LEAKS_SAMPLED;
            try {
                interval = Integer.parseInt(v.substring("sampled:".length()).trim());
            } catch (NumberFormatException e) {
                interval = 0;
            }
            if (interval < 1) {
                throw new IllegalArgumentException("safethread.leakDetection=" + raw
                        + ": the sampling interval must be a whole number of at least 1; use " + LEAK_FORMS);
            }
        } else {
            throw new IllegalArgumentException("safethread.leakDetection=" + raw + " is not a level: use "
                    + LEAK_FORMS);
        }
        leakSampleInterval = interval;
        leakLevel = level; // volatile write last: a reader that sees the level sees its interval
    }

    /** @param threshold the new background-collection threshold; at least 1 */
    public static void setCollectorThreshold(int threshold) {
        if (threshold < 1) {
            throw new IllegalArgumentException("collector threshold must be at least 1, got " + threshold);
        }
        collectorThreshold = threshold;
    }

    /** @param on whether background collections run */
    public static void setCollectorEnabled(boolean on) {
        collectorEnabled = on;
    }

    /** @param timeout the new handshake timeout */
    public static void setHandshakeTimeout(Duration timeout) {
        handshakeTimeoutNanos = nonNegative("handshake timeout", timeout).toNanos();
    }

    private static Duration nonNegative(String what, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be zero or positive, got " + d);
        }
        if (d.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException(what + " must be at most " + LONGEST + " (about 292 years: the "
                    + "runtime times it in long nanoseconds), got " + d);
        }
        return d;
    }

    private static Duration positive(String what, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
        return nonNegative(what, d);
    }

    /**
     * Parses a duration property: {@code 250ms}, {@code 10s}, {@code 2m}, an ISO-8601 duration
     * ({@code PT1.5S}) or a bare number of milliseconds.
     */
    static Duration duration(String property, Duration fallback) {
        String raw = System.getProperty(property);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        Duration d = parseDuration(raw.trim());
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(property + "=" + raw
                    + " is not a duration: use e.g. 250ms, 10s, 2m, PT1.5S, or a number of milliseconds");
        }
        if (d.compareTo(LONGEST) > 0) { // else toNanos() at start-up fails with a bare "long overflow"
            throw new IllegalArgumentException(property + "=" + raw + " is too long: at most " + LONGEST
                    + " (about 292 years: the runtime times it in long nanoseconds)");
        }
        return d;
    }

    static Duration parseDuration(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
            }
            if (v.endsWith("us")) {
                return Duration.ofNanos(1000L * Long.parseLong(v.substring(0, v.length() - 2).trim()));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis(Math.round(1000 * Double.parseDouble(v.substring(0, v.length() - 1).trim())));
            }
            if (v.endsWith("m")) {
                return Duration.ofSeconds(60 * Long.parseLong(v.substring(0, v.length() - 1).trim()));
            }
            return Duration.ofMillis(Long.parseLong(v));
        } catch (RuntimeException e) {
            return null;
        }
    }

    static int integer(String property, int fallback, int min) {
        String raw = System.getProperty(property);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(raw.trim());
            if (v >= min) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(property + "=" + raw + " is not a whole number of at least " + min);
    }

    static boolean bool(String property, boolean fallback) {
        String raw = System.getProperty(property);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        String v = raw.trim().toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("on") || v.equals("yes")) {
            return true;
        }
        if (v.equals("false") || v.equals("off") || v.equals("no")) {
            return false;
        }
        throw new IllegalArgumentException(property + "=" + raw + " is not a boolean: use true or false");
    }
}
