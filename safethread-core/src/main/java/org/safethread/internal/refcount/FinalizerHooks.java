package org.safethread.internal.refcount;

import java.lang.reflect.Field;
import org.safethread.RefCounted;

/**
 * What the count engine asks of the finalizer layer above it: the checks on finalizer cores, the
 * finalizer queue, and leak tracking. The finalizer layer implements it and installs it once
 * ({@link #install}) from its class initializer, which the public {@code RefCounted}'s class
 * initializer runs (and so does the finalizer's own entry for plain objects), so it is in place
 * before any counted object, or any class information with a core, exists. The count engine so
 * reaches cores, leak references and the finalizer thread without importing the layer above.
 *
 * <p>Every method is called by the count engine with no lock of its own held, except
 * {@link #trackLeak}, which runs under the object's {@link Extras} lock (it must not block).
 */
public interface FinalizerHooks {
    /**
     * @param coreField a {@code @FinalizerCore} field, final and of reference type
     * @return why the field's declared type cannot hold a core, or null if it can
     */
    String checkCoreField(Field coreField);

    /**
     * @param owner the object whose core it is
     * @param core its finalizer core, not null
     * @return why the core cannot be finalized (e.g. it reaches its owner), or null if it can
     */
    String checkCore(Object owner, Object core);

    /** Queues {@code core} for the finalizer thread ({@code ownerType}: for reports). */
    void enqueue(Object core, Class<?> ownerType);

    /** Runs {@code core} in the calling thread now, rethrowing what it throws ({@code SafeThread.finalizeNow}). */
    void runNow(Object core, Class<?> ownerType);

    /**
     * @param x a live object whose leak is to be watched
     * @param extras its extras (the leak path fires its watches and claims its core)
     * @return the armed tracker
     */
    LeakTracker trackLeak(RefCounted x, Extras extras);

    /**
     * Installs the finalizer layer's hooks (once; a second install of the same hooks is a no-op).
     *
     * @throws IllegalStateException if different hooks are already installed
     */
    static void install(FinalizerHooks hooks) {
        Installed.install(hooks);
    }

    /** The installed hooks. */
    final class Installed {
        private static volatile FinalizerHooks hooks;

        private Installed() {
        }

        private static final Object LOCK = new Object();

        static void install(FinalizerHooks h) {
            synchronized (LOCK) {
                if (hooks != null && hooks != h) {
                    throw new IllegalStateException("safethread internal error: two sets of finalizer hooks");
                }
                hooks = h;
            }
        }

        /**
         * @return the installed hooks
         * @throws IllegalStateException if none are installed yet (a class-initialization order bug)
         */
        static FinalizerHooks get() {
            FinalizerHooks h = hooks;
            if (h == null) {
                throw new IllegalStateException("safethread internal error: the finalizer layer's hooks are not "
                        + "installed (RefCounted's class initializer installs them)");
            }
            return h;
        }
    }
}
