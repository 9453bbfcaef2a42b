package org.safethread.internal.deadlock;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** JFR event: a deadlock between monitors was broken. Committed by the victim thread. */
@Name("org.safethread.DeadlockBroken")
@Label("Deadlock Broken")
@Category("safethread")
@Description("A cycle of threads blocked entering monitors was broken by refusing one entry")
@StackTrace(true)
public final class DeadlockBrokenEvent extends jdk.jfr.Event {
    @Label("Cycle")
    @Description("Every thread of the cycle, the monitor it holds and the monitor it waits for")
    public String cycle;

    @Label("Victim")
    public String victim;

    @Label("Threads")
    public int threads;

    @Label("Detection Latency")
    @Description("From the moment the cycle closed to the victim's exception")
    @Timespan(Timespan.NANOSECONDS)
    public long detectionLatency;
}
