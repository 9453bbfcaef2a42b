package org.safethread.internal.finalizer;

import java.lang.reflect.Field;
import org.safethread.RefCounted;
import org.safethread.internal.refcount.Extras;
import org.safethread.internal.refcount.FinalizerHooks;
import org.safethread.internal.refcount.LeakTracker;

/**
 * The finalizer layer's side of the count engine's {@link FinalizerHooks}: core checks
 * ({@link CoreRules}), the finalizer queue ({@link Finalizers}) and leak references
 * ({@link LeakRef}), installed into the count engine when this class is initialized.
 */
public final class CountedFinalization implements FinalizerHooks {
    private static final CountedFinalization HOOKS = new CountedFinalization();

    static {
        FinalizerHooks.install(HOOKS);
    }

    private CountedFinalization() {
    }

    /**
     * Makes sure the hooks are installed: the class initializer installs them, and this method's
     * only work is to have run it. Called by the public {@code RefCounted}'s class initializer
     * and by {@link Registrations} (plain objects with a core), before either can need them.
     */
    public static void install() {
        // the class initializer did the work
    }

    @Override
    public String checkCoreField(Field coreField) {
        return CoreRules.checkDeclaredType(coreField);
    }

    @Override
    public String checkCore(Object owner, Object core) {
        return CoreRules.checkInstance(owner, core);
    }

    @Override
    public void enqueue(Object core, Class<?> ownerType) {
        Finalizers.enqueue(core, ownerType);
    }

    @Override
    public void runNow(Object core, Class<?> ownerType) {
        Finalizers.runNow(core, ownerType);
    }

    @Override
    public LeakTracker trackLeak(RefCounted x, Extras extras) {
        return new LeakRef(x, extras);
    }
}
