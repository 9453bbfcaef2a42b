package org.safethread.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import org.jspecify.annotations.Nullable;

/**
 * JFR event: a finalizer ran past {@code safethread.finalizer.stallTimeout} and a fresh
 * finalizer thread took over the queue. {@link #running} is how long the stalled finalizer had
 * run when the watchdog saw it; the event's own duration spans the replacement (starting the
 * fresh thread and handing it the queued cores). Committed by the housekeeper thread.
 */
@Name("org.safethread.FinalizerStalled")
@Label("Finalizer Stalled")
@Category("safethread")
@Description("A finalizer ran past the stall timeout; a fresh finalizer thread took over")
@StackTrace(false)
public final class FinalizerStalledEvent extends jdk.jfr.Event {
    @Label("Core Class")
    public @Nullable String coreClass;

    @Label("Owner Class")
    public @Nullable String ownerClass;

    @Label("Stalled Thread")
    @Description("The finalizer thread left to finish the stalled finalizer")
    public @Nullable String stalledThread;

    @Label("Running")
    @Description("How long the stalled finalizer had run when it was replaced")
    @Timespan(Timespan.NANOSECONDS)
    public long running;
}
