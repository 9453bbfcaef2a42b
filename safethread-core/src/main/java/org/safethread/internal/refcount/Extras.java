package org.safethread.internal.refcount;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Out-of-line state of one {@code RefCounted}, created only when needed (a finalizer core, leak
 * tracking, a death watch, or a cell), so that plain objects carry one null reference.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>A tiny spin lock guards the cell list, the watches and {@code dead}. It is held for a
 *       handful of instructions (no user code, no blocking), so spinning is cheaper than a
 *       parking lock and cannot pin a virtual thread's carrier for long. (Growing the watch
 *       array, and dropping its cancelled watches just before, copies it: amortized O(1) per
 *       watch.)</li>
 *   <li>The release is a plain volatile store, with no call below {@code unlock()}, never a
 *       {@code VarHandle} call: an interpreted {@code VarHandle} call runs through several frames,
 *       and a caller near the stack's limit (deep recursion that catches
 *       {@code StackOverflowError} and goes on) could take the lock and then overflow in the
 *       release, leaving the lock held for ever: every later death, cell or {@code WeakKeyMap}
 *       write of the object would spin. The acquire's frames ({@code lock()} and the CAS below it)
 *       are at least as deep as the release's, so a release from the frame that took the lock
 *       always has the stack it needs ({@code StackLimitTest}).</li>
 *   <li>This object never refers back to its {@code RefCounted}: the leak reference (a phantom)
 *       refers to it, and a back-reference would keep the object reachable forever.</li>
 *   <li>{@code finalizeState} is the exactly-once claim on the finalizer core: the automatic run
 *       (death or leak) and {@code SafeThread.finalizeNow} both CAS it from ARMED to CLAIMED; only
 *       the winner runs the core.</li>
 *   <li>{@code core} is published with a volatile write by the thread that captured it and read
 *       with a volatile read by the reaper, which gives the happens-before edge from the core's
 *       construction to the finalizer thread.</li>
 * </ul>
 */
public final class Extras {
    private static final int ARMED = 0;
    private static final int CLAIMED = 1;
    /** Spins before the lock yields the processor. */
    private static final int SPINS_BEFORE_YIELD = 64;

    private static final VarHandle LOCK;
    private static final VarHandle FINALIZE_STATE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LOCK = l.findVarHandle(Extras.class, "lock", int.class);
            FINALIZE_STATE = l.findVarHandle(Extras.class, "finalizeState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The object's class, for reports (the object itself may be gone). */
    public final Class<?> type;
    /** 1 while held: taken through LOCK (a CAS), released by a plain volatile store. */
    private volatile int lock;
    @SuppressWarnings("unused") // through FINALIZE_STATE
    private volatile int finalizeState;
    /** The captured finalizer core, for the leak path. */
    private volatile Object core;
    /** Where the object was allocated, when leak tracking was on. */
    private final Throwable allocationSite;

    // ---- guarded by the lock ----
    /** Head of this object's live cells. */
    Cell cells;
    private DeathWatch[] watches;
    private int watchCount;
    private boolean dead;
    private LeakTracker leak;
    /**
     * The object's {@link Binding}s, copy-on-write: replaced (never changed in place) under the
     * lock, read without it by lookups (a volatile read of an immutable array). Null when none.
     */
    private volatile Binding[] bindings;
    /** Set by death processing (or the leak path): no binding may be added any more. */
    private boolean bindingsClosed;

    Extras(Class<?> type, Throwable allocationSite) {
        this.type = type;
        this.allocationSite = allocationSite;
    }

    void lock() {
        int spins = 0;
        while (!LOCK.weakCompareAndSetAcquire(this, 0, 1)) {
            if (++spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    void unlock() {
        lock = 0; // a volatile store, no call: see the class notes (release at the stack's limit)
    }

    /** Takes the lock for a change to the bindings (no user code may run while it is held). */
    public void lockBindings() {
        lock();
    }

    /** Releases the lock taken by {@link #lockBindings()}. */
    public void unlockBindings() {
        lock = 0; // as unlock(), one frame shallower
    }

    /** @return whether the object's death closed its bindings; caller holds the lock */
    public boolean bindingsClosed() {
        return bindingsClosed;
    }

    /** Adds a binding; caller holds the lock and checked {@link #bindingsClosed()}. */
    public void addBinding(Binding b) {
        Binding[] old = bindings;
        int n = old == null ? 0 : old.length;
        Binding[] next = old == null ? new Binding[1] : java.util.Arrays.copyOf(old, n + 1);
        next[n] = b;
        bindings = next;
    }

    /** Replaces binding {@code old} by {@code b} (or adds {@code b}); caller holds the lock. */
    public void replaceBinding(Binding old, Binding b) {
        Binding[] cur = bindings;
        if (cur != null) {
            for (int i = 0; i < cur.length; i++) {
                if (cur[i] == old) {
                    Binding[] next = cur.clone();
                    next[i] = b;
                    bindings = next;
                    return;
                }
            }
        }
        addBinding(b);
    }

    /** Removes a binding if present; caller holds the lock. */
    public void removeBinding(Binding b) {
        Binding[] cur = bindings;
        if (cur == null) {
            return;
        }
        for (int i = 0; i < cur.length; i++) {
            if (cur[i] == b) {
                if (cur.length == 1) {
                    bindings = null;
                    return;
                }
                Binding[] next = new Binding[cur.length - 1];
                System.arraycopy(cur, 0, next, 0, i);
                System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                bindings = next;
                return;
            }
        }
    }

    /**
     * @return the current bindings (an array never changed after publication; do not modify), or
     *     null; readable without the lock
     */
    public Binding[] bindings() {
        return bindings;
    }

    /** @return whether the object may have bindings (racy hint for the collector) */
    public boolean hasBindings() {
        return bindings != null;
    }

    /** Death processing: closes the bindings and returns them, or null. */
    Binding[] closeBindings() {
        lock();
        try {
            bindingsClosed = true;
            Binding[] b = bindings;
            bindings = null;
            return b;
        } finally {
            unlock();
        }
    }

    /** Collector: reports every binding's slots, under the lock. */
    public void traceBindings(Binding.SlotVisitor v) {
        lock();
        try {
            Binding[] bs = bindings;
            if (bs != null) {
                for (Binding b : bs) {
                    b.traceSlots(v);
                }
            }
        } finally {
            unlock();
        }
    }

    /** @return where the object was allocated, or null when leak tracking was off */
    public Throwable allocationSite() {
        return allocationSite;
    }

    /** @return true exactly once: for the caller that wins the right to run the core */
    public boolean claimFinalization() {
        return FINALIZE_STATE.compareAndSet(this, ARMED, CLAIMED);
    }


    /** @return the captured core, or null */
    public Object capturedCore() {
        return core;
    }

    void captureCore(Object c) {
        core = c;
    }

    /** Installs the leak reference if there is none yet. */
    void ensureLeakRef(java.util.function.Supplier<LeakTracker> factory) {
        lock();
        try {
            if (leak == null && !dead) {
                leak = factory.get();
            }
        } finally {
            unlock();
        }
    }

    /**
     * Adds a death watch. If the object already died, the watch fires at once (outside the lock).
     */
    public void addWatch(DeathWatch w) {
        boolean fireNow;
        lock();
        try {
            fireNow = dead;
            if (!fireNow) {
                if (watches == null) {
                    watches = new DeathWatch[2];
                } else if (watchCount == watches.length && dropFinishedWatches() == watches.length) {
                    watches = java.util.Arrays.copyOf(watches, watchCount * 2);
                }
                watches[watchCount++] = w;
            }
        } finally {
            unlock();
        }
        if (fireNow) {
            w.fire();
        }
    }

    /**
     * Drops the watches that can no longer fire (cancelled ones: a delivered watch is not in the
     * list any more), keeping the others in order. Run when the array is full, before growing it,
     * so a long-lived object watched and cancelled over and over keeps at most twice as many
     * entries as it ever had live watches, instead of every cancelled watch (with its payload and
     * its queue) until it dies. Amortized O(1) per add. Under the lock.
     *
     * @return the number of watches kept
     */
    private int dropFinishedWatches() {
        int kept = 0;
        for (int i = 0; i < watchCount; i++) {
            DeathWatch w = watches[i];
            if (w.isWatching()) {
                watches[kept++] = w;
            }
        }
        java.util.Arrays.fill(watches, kept, watchCount, null);
        watchCount = kept;
        return kept;
    }

    /**
     * Marks death: stops leak tracking and fires the watches (outside the lock). Called once per
     * object by death processing, or by the reaper for a leaked object.
     */
    void onDeath() {
        DeathWatch[] fire;
        int n;
        LeakTracker l;
        lock();
        try {
            if (dead) {
                return;
            }
            dead = true;
            fire = watches;
            n = watchCount;
            watches = null;
            watchCount = 0;
            l = leak;
            leak = null;
        } finally {
            unlock();
        }
        if (l != null) {
            l.disarm();
        }
        for (int i = 0; i < n; i++) {
            fire[i].fire();
        }
    }

    /**
     * Leak path: the object is gone; fire the watches, and let its bindings go (their values'
     * references are released). Returns false if it had died normally.
     */
    public boolean onLeak() {
        DeathWatch[] fire;
        int n;
        lock();
        try {
            if (dead) {
                return false;
            }
            dead = true;
            fire = watches;
            n = watchCount;
            watches = null;
            watchCount = 0;
            leak = null;
        } finally {
            unlock();
        }
        for (int i = 0; i < n; i++) {
            fire[i].fire();
        }
        Deaths.releaseBindings(this, type);
        return true;
    }
}
