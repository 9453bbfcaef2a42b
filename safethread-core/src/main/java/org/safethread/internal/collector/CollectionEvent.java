package org.safethread.internal.collector;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/** JFR event: one run of the cycle collector. */
@Name("org.safethread.Collection")
@Label("Collection")
@Category("safethread")
@Description("One run of the safethread cycle collector")
public final class CollectionEvent extends jdk.jfr.Event {
    @Label("Examined")
    @Description("Objects whose counts and Ref fields were read")
    public long examined;

    @Label("Collected")
    @Description("Objects found in garbage groups and made to die")
    public long collected;

    @Label("Pause")
    @Description("How long threads that use the runtime were stopped")
    @Timespan(Timespan.NANOSECONDS)
    public long pause;

    @Label("Unresponsive Threads")
    @Description("Owner threads that did not reach a safe point in time; their objects were kept")
    public int unresponsive;

    @Label("Background")
    public boolean background;
}
