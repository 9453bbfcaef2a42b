package org.safethread.internal.finalizer;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.safethread.internal.events.LeakDetectedEvent;
import org.safethread.internal.runtime.Notices;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aggregates leak reports, so that 5,000 leaks of one class do not log 5,000 lines: the first
 * {@value #INDIVIDUAL_REPORTS} leaks of each class are logged one by one (with the allocation
 * site when one was recorded); after that, leaks of the class are counted and a summary per class
 * (leaks since the last summary, total, one sample allocation site) is logged at most once per
 * {@value #SUMMARY_PERIOD_SECONDS} s by the housekeeper. Every leak is also a JFR event and is
 * counted in {@code leaksDetected()}.
 *
 * <h2>Implementation notes</h2>
 * <p>Reports come from the housekeeper thread (the reference reaper), but the methods
 * synchronize on a private lock so that any caller is safe; they run only on the leak path, never on
 * allocation. The map of classes is bounded by the number of leaking classes.
 */
public final class LeakReports {
    /** Logger name: stable and documented, not an internal class name. */
    public static final String LOGGER_NAME = LoggerNames.LEAKS;
    /** Leaks of one class logged individually before they are summarized: enough to see a pattern. */
    static final int INDIVIDUAL_REPORTS = 3;
    /** Summary period: a minute keeps a steady leak to one line per class per minute. */
    static final long SUMMARY_PERIOD_SECONDS = 60;

    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);

    private static final class PerClass {
        long total;
        long sinceSummary;
        String sampleSite;
    }

    /** Guards the fields below (a private lock: no outside code can hold it). */
    private static final Object LOCK = new Object();
    /** By class name, not Class: a report must not pin an application's class loader. */
    private static final Map<String, PerClass> CLASSES = new LinkedHashMap<>();
    private static long lastSummary = System.nanoTime();

    private LeakReports() {
    }

    /**
     * Reports one leak: counts it per class, commits a JFR event, and logs it individually or
     * leaves it to the next summary.
     *
     * @param type the leaked object's class
     * @param site where it was allocated, or null when that was not recorded
     * @param finalized whether its finalizer core was queued
     * @param jfr the event begun when handling this leak started
     */
    static void leaked(Class<?> type, Throwable site, boolean finalized, LeakDetectedEvent jfr) {
        synchronized (LOCK) {
            jfr.end();
            if (jfr.shouldCommit()) {
                jfr.objectClass = type.getName();
                jfr.allocationSite = site == null ? "" : trace(site);
                jfr.finalized = finalized;
                jfr.commit();
            }
            PerClass c = CLASSES.computeIfAbsent(type.getName(), t -> new PerClass());
            c.total++;
            if (c.total <= INDIVIDUAL_REPORTS) {
                String what = "safethread: leaked " + type.getName() + ": the JVM collected it while references "
                        + "were still counted (a decref is missing); "
                        + (finalized ? "finalizing its core now" : "it has no captured core");
                if (site == null) {
                    what += ". Run with -Dsafethread.leakDetection=paranoid (or sampled:N) to see where it was allocated";
                }
                if (c.total == INDIVIDUAL_REPORTS) {
                    what += ". Further leaks of this class are summarized every " + SUMMARY_PERIOD_SECONDS + " s";
                }
                if (site != null) {
                    LOG.warn(what, site);
                } else {
                    LOG.warn(what);
                }
            } else {
                c.sinceSummary++;
                if (c.sampleSite == null && site != null) {
                    c.sampleSite = trace(site);
                }
            }
            Notices.unlogged(LOG.isWarnEnabled(), "a RefCounted object leaked");
        }
    }

    /** Logs the per-class summaries if the period has passed. Housekeeper, every round. */
    public static void summarizeIfDue() {
        long now = System.nanoTime();
        synchronized (LOCK) {
            if (now - lastSummary < TimeUnit.SECONDS.toNanos(SUMMARY_PERIOD_SECONDS)) {
                return;
            }
            summarizeNow();
        }
    }

    /** Logs the per-class summaries now, whatever the time since the last (and restarts the period). */
    public static void summarizeNow() {
        synchronized (LOCK) {
            lastSummary = System.nanoTime();
            for (Map.Entry<String, PerClass> e : CLASSES.entrySet()) {
                PerClass c = e.getValue();
                if (c.sinceSummary == 0) {
                    continue;
                }
                LOG.warn("safethread: leaked " + c.sinceSummary + " more " + e.getKey()
                        + " since the last report (" + c.total + " in all); "
                        + (c.sampleSite != null ? "one was allocated at:\n" + c.sampleSite
                                : "no allocation site recorded (safethread.leakDetection=paranoid or sampled:N records them)"));
                c.sinceSummary = 0;
                c.sampleSite = null;
            }
        }
    }

    private static String trace(Throwable site) {
        StringWriter w = new StringWriter();
        site.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
