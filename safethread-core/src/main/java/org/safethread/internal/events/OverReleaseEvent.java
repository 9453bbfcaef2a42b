package org.safethread.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import org.jspecify.annotations.Nullable;

/**
 * JFR event: a decref released more references than the object had (an over-release). Its stack
 * trace is the releasing thread's when the over-release was refused at the decref, or the merging
 * thread's when it was found at a merge ({@link #foundAtMerge}).
 */
@Name("org.safethread.OverRelease")
@Label("Over-release")
@Category("safethread")
@Description("A decref released more references than the object had")
@StackTrace(true)
public final class OverReleaseEvent extends jdk.jfr.Event {
    @Label("Object Class")
    public @Nullable String objectClass;

    @Label("Found At Merge")
    @Description("True when found while merging another thread's counts (the object was killed); "
            + "false when the decref itself was refused with an exception")
    public boolean foundAtMerge;

    /**
     * Commits an over-release event (instant: it is begun and committed here).
     *
     * @param type the over-released object's class (not null)
     * @param atMerge whether it was found at a merge rather than at the decref
     */
    public static void report(Class<?> type, boolean atMerge) {
        OverReleaseEvent ev = new OverReleaseEvent();
        if (ev.isEnabled()) {
            ev.begin();
            ev.objectClass = type.getName();
            ev.foundAtMerge = atMerge;
            ev.commit();
        }
    }
}
