package org.safethread.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import org.jspecify.annotations.Nullable;

/**
 * JFR event: a monitor entry that blocked, recorded when it blocked at least the threshold
 * (default 20 ms, like {@code jdk.JavaMonitorEnter}; change it in a JFR settings file or with
 * {@code recording.enable("org.safethread.MonitorEnter").withThreshold(...)}). Begun when the
 * entering thread starts to wait, committed when it has the monitor or was refused as a
 * deadlock victim; the duration is the time it waited.
 */
@Name("org.safethread.MonitorEnter")
@Label("Monitor Enter (Contended)")
@Category("safethread")
@Description("A thread waited to enter a safethread monitor")
@StackTrace(true)
@Threshold("20 ms")
public final class ContendedEntryEvent extends jdk.jfr.Event {
    @Label("Monitor")
    @Description("The monitor waited for")
    public @Nullable String monitor;

    /**
     * Commits this begun event if it lasted past the threshold; names the monitor only then.
     *
     * @param lock the monitor's lock (its {@code toString()} names it)
     */
    public void entered(Object lock) {
        end(); // before shouldCommit(): the threshold is compared with the duration end() fixes
        if (shouldCommit()) {
            monitor = String.valueOf(lock);
            commit();
        }
    }
}
