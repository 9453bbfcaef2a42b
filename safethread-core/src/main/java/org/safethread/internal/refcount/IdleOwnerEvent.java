package org.safethread.internal.refcount;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event: objects released by other threads have waited longer than
 * {@code safethread.refcount.idleOwnerTimeout} for an owner thread that did not come back to the
 * runtime. Committed by the housekeeper, once per waiting episode of an owner.
 */
@Name("org.safethread.IdleOwner")
@Label("Objects Wait on an Idle Owner")
@Category("safethread")
@Description("Objects whose last reference was released elsewhere wait for their owner thread, "
        + "which has not called into the runtime since")
@StackTrace(false)
public final class IdleOwnerEvent extends jdk.jfr.Event {
    @Label("Owner Thread")
    @Description("Name of the owner thread the objects wait on")
    public String ownerThread;

    @Label("Owner Thread Id")
    public long ownerThreadId;

    @Label("Waiting Objects")
    public int waitingObjects;

    @Label("Waited")
    @Timespan(Timespan.NANOSECONDS)
    public long waited;

    @Label("Advice")
    public String advice;
}
