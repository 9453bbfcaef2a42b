package org.safethread.internal.finalizer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.PhantomReference;
import java.util.concurrent.ConcurrentHashMap;
import org.safethread.internal.refcount.ClassInfo;
import org.safethread.internal.runtime.Housekeeper;

/**
 * {@code SafeThread.register} for objects that are not reference counted: a phantom reference
 * per registered object, holding its core, enqueued by the JVM when the object becomes
 * unreachable (a safer {@code Cleaner}: the core was checked not to reach the owner). An
 * identity-keyed index finds the registration for {@code finalizeNow}; a registration stays
 * indexed until its owner is collected, so a second {@code finalizeNow} answers false.
 *
 * <p>Implementation notes: the index maps {@link System#identityHashCode} to a small array of
 * registrations, changed with {@link ConcurrentHashMap#compute}; a lookup compares with
 * {@link java.lang.ref.Reference#refersTo}, never with {@code equals}. Each registration's claim
 * word makes the automatic run and {@code finalizeNow} exclusive: exactly one runs the core.
 */
public final class Registrations {
    private static final ConcurrentHashMap<Integer, Registration[]> INDEX = new ConcurrentHashMap<>();

    static {
        CountedFinalization.install(); // ClassInfo of a plain object's class checks its core through the hooks
    }

    private Registrations() {
    }

    static final class Registration extends PhantomReference<Object> implements Reaped {
        private static final VarHandle CLAIMED;

        static {
            try {
                CLAIMED = MethodHandles.lookup().findVarHandle(Registration.class, "claimed", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final int hash;
        /** The core; dropped once claimed, so a finalized registration holds nothing. */
        private volatile Object core;
        final Class<?> ownerType;
        @SuppressWarnings("unused") // through CLAIMED
        private volatile int claimed;

        Registration(Object owner, Object core, int hash) {
            super(owner, ReferenceReaper.QUEUE);
            this.hash = hash;
            this.core = core;
            this.ownerType = owner.getClass();
        }

        /** @return the core if this call won the exactly-once claim, else null */
        Object claim() {
            if (!CLAIMED.compareAndSet(this, 0, 1)) {
                return null;
            }
            Object c = core;
            core = null;
            return c;
        }

        @Override
        public void reaped() {
            unindex(this);
            Object c = claim();
            if (c != null) {
                Finalizers.enqueue(c, ownerType);
            }
        }
    }

    /**
     * Registers {@code obj} (not a RefCounted) for finalization when the JVM collects it.
     *
     * @throws IllegalArgumentException if it has no usable core (the message says why)
     */
    public static void register(Object obj) {
        ClassInfo info = ClassInfo.of(obj.getClass());
        info.checkUsable();
        if (!info.hasCore()) {
            throw new IllegalArgumentException("SafeThread.register: " + obj.getClass().getName()
                    + " has no @FinalizerCore field: put what its cleanup needs in a core object with a "
                    + "@Finalize method, in a final field annotated @FinalizerCore");
        }
        Object core = info.coreOf(obj);
        if (core == null) {
            throw new IllegalArgumentException("SafeThread.register: the @FinalizerCore field "
                    + info.coreField.getName() + " of " + obj.getClass().getName() + " is null");
        }
        String why = CoreRules.checkInstance(obj, core);
        if (why != null) {
            throw new IllegalArgumentException("SafeThread.register: " + why);
        }
        int h = System.identityHashCode(obj);
        Housekeeper.ensureStarted();
        INDEX.compute(h, (k, regs) -> {
            if (regs != null) {
                for (Registration r : regs) {
                    if (r.refersTo(obj)) {
                        return regs; // already registered: register is idempotent
                    }
                }
            }
            Registration fresh = new Registration(obj, core, h);
            if (regs == null) {
                return new Registration[] {fresh};
            }
            Registration[] out = java.util.Arrays.copyOf(regs, regs.length + 1);
            out[regs.length] = fresh;
            return out;
        });
    }

    /**
     * Runs the core of a registered object in the caller, once.
     *
     * @return TRUE if it ran now, FALSE if it had already run or been cancelled, null if
     *     {@code owner} was never registered
     */
    public static Boolean finalizeNow(Object owner) {
        Registration[] regs = INDEX.get(System.identityHashCode(owner));
        if (regs == null) {
            return null;
        }
        for (Registration r : regs) {
            if (r.refersTo(owner)) {
                // The claimed registration stays indexed (holding nothing) until the JVM collects
                // the owner, so a second finalizeNow finds it and returns false.
                Object core = r.claim();
                if (core == null) {
                    return Boolean.FALSE;
                }
                Finalizers.runNow(core, r.ownerType);
                return Boolean.TRUE;
            }
        }
        return null;
    }

    private static void unindex(Registration r) {
        INDEX.computeIfPresent(r.hash, (k, regs) -> {
            int n = 0;
            for (Registration x : regs) {
                if (x != r) {
                    n++;
                }
            }
            if (n == 0) {
                return null;
            }
            Registration[] out = new Registration[n];
            int i = 0;
            for (Registration x : regs) {
                if (x != r) {
                    out[i++] = x;
                }
            }
            return out;
        });
    }
}
