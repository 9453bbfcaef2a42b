package org.safethread.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import org.jspecify.annotations.Nullable;

/**
 * JFR event: the JVM collected a {@code RefCounted} whose count was still above zero (a missing
 * decref). Committed by the housekeeper when it handles the leak; its duration spans the
 * reporting (counting, and logging or aggregating the report).
 */
@Name("org.safethread.LeakDetected")
@Label("Leak Detected")
@Category("safethread")
@Description("A RefCounted was collected by the JVM while references were still counted")
@StackTrace(false)
public final class LeakDetectedEvent extends jdk.jfr.Event {
    @Label("Object Class")
    public @Nullable String objectClass;

    @Label("Allocation Site")
    @Description("Where the object was allocated, when safethread.leakDetection recorded it; else empty")
    public @Nullable String allocationSite;

    @Label("Finalized")
    @Description("Whether the leaked object's finalizer core was queued to run")
    public boolean finalized;
}
