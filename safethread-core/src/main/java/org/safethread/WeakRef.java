package org.safethread;

import java.lang.ref.WeakReference;
import java.util.Objects;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.refcount.RefCounts;
import org.jspecify.annotations.Nullable;
import org.safethread.internal.share.ShareRules;

/**
 * A weak reference: it refers to an object without keeping it alive.
 *
 * <ul>
 *   <li>For a {@link RefCounted} referent, {@link #get()} returns null once the object is dead
 *       (its last counted reference released, or collected in a garbage cycle), and
 *       {@link #acquire()} takes a new counted reference if, and only if, the object is still
 *       alive: it races safely with the last {@link RefCounted#decref()} on another thread and
 *       with the collector (never a dead object, never one revived). The reference is counted
 *       in the object's shared word by compare-and-swap, which fails once the object is dead (the
 *       "try-incref" of free-threaded CPython, {@code Py_TryIncref}).</li>
 *   <li>For any other referent, {@link #get()} returns null once the JVM collected it (it is a
 *       {@link java.lang.ref.WeakReference}); {@link #acquire()} is refused.</li>
 *   <li>A {@linkplain Monitor monitor} referent stands for its target where life is concerned,
 *       as in {@link DeathQueue#watch}: {@link #get()} returns the monitor, and null once it is
 *       collected or its target is a dead {@link RefCounted} (a RefCounted guarded through an
 *       interface). {@link #acquire()} of a monitor is refused: the reference it took would be
 *       the target's, which the holder of the monitor cannot release.</li>
 * </ul>
 *
 * <p>A {@code WeakRef} is {@linkplain Shareability shareable} when its referent is (a collected
 * referent counts as shareable). All methods are thread-safe.
 *
 * <p>Memory consistency: {@code get} and {@code acquire} return the referent passed to the
 * constructor; actions before the constructor happen-before actions after a call that returns
 * the referent in another thread only if the {@code WeakRef} itself was safely published (its
 * fields are final).
 *
 * @param <T> the referent's type
 */
public final class WeakRef<T> {
    static {
        // A holder: shareable when its referent is (a collected one is nothing). See ShareRules' notes.
        ShareRules.registerHolder(WeakRef.class, WeakRef::get);
    }

    private final WeakReference<T> ref;
    /** Whether the referent is, or (a monitor) guards, a RefCounted: its death clears {@code get}. */
    private final boolean counted;
    /** Whether the referent is a monitor (whose target is what is counted). */
    private final boolean monitor;

    /**
     * Creates a weak reference to {@code referent}.
     *
     * @param referent the object; a dead RefCounted gives a WeakRef whose {@code get} is null
     * @throws NullPointerException if {@code referent} is null
     */
    public WeakRef(T referent) {
        Objects.requireNonNull(referent, "WeakRef: referent is null");
        this.ref = new WeakReference<>(referent);
        Object target = MonitorAccess.standIn(referent);
        this.monitor = target != referent;
        this.counted = target instanceof RefCounted;
    }

    /**
     * The referent, borrowed: no reference is counted for the caller, so for a RefCounted it
     * stays valid only while some counted reference keeps it alive; use {@link #acquire()} to
     * keep it.
     *
     * @return the referent, or null once it is dead (RefCounted) or collected (other objects)
     */
    public @Nullable T get() {
        T t = ref.get();
        // a monitor holds its target strongly: while t is reachable here, so is its target
        if (t == null || counted && !RefCounts.isAliveSettled((RefCounted) MonitorAccess.standIn(t))) {
            return null;
        }
        return t;
    }

    /**
     * A new counted reference to a RefCounted referent if it is still alive. The caller must
     * release it with {@link RefCounted#decref()}.
     *
     * @return the referent with one more reference counted for the caller, or null if it is dead
     * @throws IllegalStateException if the referent is not a RefCounted (it has no count to take:
     *     use {@link #get()}), or is a monitor (the count would be its target's, which the
     *     monitor's holder cannot release: use {@link #get()})
     */
    public @Nullable T acquire() {
        if (monitor) {
            throw new IllegalStateException("WeakRef.acquire: the referent is a monitor; a reference counted on the "
                    + "object it guards could not be released through the monitor, so none is taken; use get() (null once "
                    + "the monitor is collected" + (counted ? " or the object it guards is dead)" : ")"));
        }
        if (!counted) {
            throw new IllegalStateException("WeakRef.acquire: the referent is not a RefCounted, so there is "
                    + "no reference to count; use get()");
        }
        T t = ref.get();
        if (t == null || !RefCounts.tryIncrefWeak((RefCounted) t)) {
            return null;
        }
        return t;
    }

    @Override
    public String toString() {
        T t = ref.get();
        return t == null ? "WeakRef[cleared]" : "WeakRef[" + t.getClass().getName() + "]";
    }
}
