package org.safethread;

import java.lang.ref.WeakReference;
import java.util.Objects;
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
    private final boolean counted;

    /**
     * Creates a weak reference to {@code referent}.
     *
     * @param referent the object; a dead RefCounted gives a WeakRef whose {@code get} is null
     * @throws NullPointerException if {@code referent} is null
     */
    public WeakRef(T referent) {
        Objects.requireNonNull(referent, "WeakRef: referent is null");
        this.ref = new WeakReference<>(referent);
        this.counted = referent instanceof RefCounted;
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
        if (t == null || counted && !RefCounts.isAliveSettled((RefCounted) t)) {
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
     *     use {@link #get()})
     */
    public @Nullable T acquire() {
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
