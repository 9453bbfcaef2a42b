package org.safethread;

import org.safethread.internal.collector.CycleCollector;
import org.safethread.internal.finalizer.CountedFinalization;
import org.safethread.internal.metrics.Jmx;
import org.safethread.internal.monitor.Monitors;
import org.safethread.internal.refcount.CountWord;
import org.safethread.internal.refcount.RefCounts;
import org.safethread.internal.runtime.ThreadState;
import org.jspecify.annotations.Nullable;

/**
 * An object whose life is governed by a reference count, biased towards the thread that created
 * it: the owner counts with plain memory accesses (no atomic instruction), other threads count
 * in per-thread cells or an atomic shared word, and the two meet when the object may be dying.
 *
 * <p>A new object holds one reference, owned by the creating thread. {@link #incref()} adds one,
 * {@link #decref()} releases one; a {@link Ref} field counts the object it points to. When no
 * reference is left the object dies: it is marked dead, its {@code Ref} fields are cleared
 * (releasing what they held, iteratively), and its {@link FinalizerCore finalizer core}, if any,
 * is queued for the finalizer thread. Groups of objects that refer to each other only through
 * {@code Ref} fields are found and killed by the collector ({@link SafeThread#collect()}).
 *
 * <h2>When death happens</h2>
 * <ul>
 *   <li>An object only its owner ever touched dies inside the {@code decref} that released it.</li>
 *   <li>When another thread releases the last reference while the owner's plain count still
 *       holds some, the object dies when that count can be read safely: at the owner's next call
 *       into the runtime (any safethread operation, {@link SafeThread#poll()} included), within
 *       10 ms when the owner is blocked inside the runtime (entering a monitor,
 *       {@link Monitor#await}, {@link DeathQueue#take()}) or has terminated, and at once when the
 *       owner calls {@link SafeThread#collect()}. An owner that idles outside the runtime keeps
 *       such objects until it comes back; {@link RuntimeStats#pendingMerges()} shows them.</li>
 *   <li>Objects created by a pool worker (a thread of a {@code ThreadPoolExecutor},
 *       {@code ForkJoinPool} or other {@code Executor}, a {@code Timer} thread, or a virtual
 *       thread) have no owner bias: they die inside the {@code decref} that releases the last
 *       reference, on any thread, and never wait for the worker. An owner not recognised as one
 *       that makes objects wait for more than {@code safethread.refcount.idleOwnerTimeout} is
 *       reported ({@link RuntimeStats#waitingOnIdleOwners()}) and creates unbiased objects from
 *       then on.</li>
 * </ul>
 *
 * <h2>Misuse</h2>
 * {@code incref} of a dead object and a release beyond the count throw
 * {@link IllegalStateException} naming the class, and leave the counts as they were. (One case
 * is detected late: a thread that is not the owner over-releasing while the owner is running
 * elsewhere; the owner's merge reports it through SLF4J and the object dies.)
 *
 * <h2>Memory consistency</h2>
 * Actions of a thread before it releases a reference happen-before the death processing of the
 * object (clearing its {@code Ref}s, running its finalizer core), whichever thread performs it.
 *
 * <p>Subclasses must not override {@code equals}, {@code hashCode} or {@code toString} in ways
 * the runtime relies on: it never calls them (identity only).
 */
public abstract class RefCounted {
    static {
        Jmx.registerIfEnabled(); // safethread.jmx=true: the MXBean appears at first use of the library
        // The layers above the count engine hook into it before any counted object exists.
        CycleCollector.installHooks();
        CountedFinalization.install();
        Monitors.refuseClassProxies(RefCounted.class,
                "a RefCounted, whose public final count methods a class proxy cannot guard");
    }

    // Implementation notes: the protocol (owner plain count, shared word, cells, merge queue,
    // death) is described in org.safethread.internal.refcount.RefCounts. These fields are read
    // and written there through the VarHandles of internal.refcount.CountFields, whose accessors
    // name their memory mode; the owner's fast paths below touch only `owner` and `local`.

    /** The owning thread's state; null once merged or dead. Written by the owner or its holder. */
    private @Nullable ThreadState owner;
    /** The owner's plain count and BUFFERED flag (see CountWord). Owner (or holder) only. */
    private int local;
    /** The shared count word (see CountWord); CAS only, through CountFields. */
    @SuppressWarnings("unused")
    private long shared;
    /** Out-of-line state (org.safethread.internal.refcount.Extras), or null; through CountFields. */
    @SuppressWarnings("unused")
    private @Nullable Object extras;
    /**
     * The collector's index of this object in its current snapshot (collector only, under its
     * run lock; validated against the snapshot's array, so stale values are harmless). It fills
     * the object's alignment gap, so it costs no memory for most subclasses.
     */
    @SuppressWarnings("unused")
    private int collectorSlot;

    /**
     * Creates the object with one reference, owned by the calling thread.
     *
     * @throws IllegalArgumentException if the class's {@link FinalizerCore} declaration is wrong
     *     or its fields cannot be read (the message says which and what to do)
     */
    protected RefCounted() {
        ThreadState ts = ThreadState.current();
        this.owner = ts;
        this.local = 1;
        RefCounts.constructed(this, ts);
    }

    /**
     * Adds a reference.
     *
     * @throws IllegalStateException if the object is dead
     */
    public final void incref() {
        ThreadState o = owner;
        if (o != null && o.fastPathThreadOpaque() == Thread.currentThread()) { // owner, nothing requested
            int l = local;
            if ((l & CountWord.LOCAL_COUNT) != CountWord.LOCAL_COUNT) {
                local = l + 1;
                return;
            }
        }
        RefCounts.increfSlow(this);
    }

    /**
     * Releases a reference; the object dies when none is left (see the class comment for when).
     *
     * @throws IllegalStateException if the object is already dead or released beyond its count
     */
    public final void decref() {
        ThreadState o = owner;
        if (o != null && o.fastPathThreadOpaque() == Thread.currentThread()) { // owner, nothing requested
            int l = local;
            if ((l & CountWord.LOCAL_COUNT) > 1) {
                if ((l & CountWord.BUFFERED) != 0) {
                    local = l - 1;
                    return;
                }
                local = (l - 1) | CountWord.BUFFERED;
                RefCounts.buffered(this, o);
                return;
            }
        }
        RefCounts.decrefSlow(this);
    }

    /**
     * The number of counted references. Exact when no other thread is changing it (and, for a
     * thread other than the owner, when it has a happens-before edge from the owner's last
     * change); 0 once dead.
     *
     * @return the count
     */
    public final long refCount() {
        return RefCounts.refCount(this);
    }

    /**
     * Whether the object is alive. A volatile read: once false, it stays false.
     *
     * @return false once the object died
     */
    public final boolean isAlive() {
        return RefCounts.isAlive(this);
    }
}
