package org.safethread.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import org.jspecify.annotations.Nullable;
import org.safethread.internal.runtime.SafeText;

/**
 * JFR event: a {@code @Finalize} method threw. Begun when the finalizer starts, committed when
 * it has thrown, so its duration is how long the failing finalizer ran.
 */
@Name("org.safethread.FinalizerFailed")
@Label("Finalizer Failed")
@Category("safethread")
@Description("A @Finalize method threw; the exception was logged and the finalizer thread went on")
@StackTrace(false)
public final class FinalizerFailedEvent extends jdk.jfr.Event {
    @Label("Core Class")
    @Description("The finalizer core whose @Finalize method threw")
    public @Nullable String coreClass;

    @Label("Owner Class")
    @Description("The object whose death ran the core")
    public @Nullable String ownerClass;

    @Label("Exception")
    @Description("The exception's class and message")
    public @Nullable String exception;

    /**
     * Commits a begun event for a finalizer that threw.
     *
     * @param core the finalizer core (not null)
     * @param ownerType the class of the object that owned it (not null)
     * @param thrown what the finalizer threw (not null)
     */
    public void failed(Object core, Class<?> ownerType, Throwable thrown) {
        end();
        if (shouldCommit()) {
            coreClass = core.getClass().getName();
            ownerClass = ownerType.getName();
            exception = SafeText.of(thrown); // never the user's toString: it may throw or block
            commit();
        }
    }
}
