package org.safethread.internal.finalizer;

import java.lang.ref.PhantomReference;
import java.util.concurrent.locks.ReentrantLock;
import org.safethread.RefCounted;
import org.safethread.internal.events.LeakDetectedEvent;
import org.safethread.internal.refcount.Extras;
import org.safethread.internal.refcount.LeakTracker;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Housekeeper;

/**
 * Leak detection for a {@link RefCounted}: a phantom reference that the JVM enqueues only if the
 * object becomes unreachable while still alive by its count (a lost reference). Death disarms it
 * (clears it), so a normal death is never reported. On a leak the object's death watches fire, its
 * captured finalizer core runs (exactly once, claimed through its {@link Extras}), and the leak is
 * reported through {@link LeakReports} (class and, when recorded, allocation site).
 */
public final class LeakRef extends PhantomReference<RefCounted> implements Reaped, LeakTracker {
    /**
     * Keeps armed references reachable until they are reaped or disarmed: doubly linked lists,
     * one per stripe, each guarded by its own lock (the JDK's Cleaner keeps its cleanables the
     * same way). Linking and unlinking are O(1) with no hashing, which matters because every
     * object with a finalizer core does both once.
     */
    private static final class Stripe {
        final ReentrantLock lock = new ReentrantLock();
        /** Sentinel; the list is circular. Guarded by lock. */
        final LeakRef head = new LeakRef();
    }

    /** Stripes: a power of two, enough that concurrent constructors rarely share one. */
    private static final int STRIPES = 16;
    private static final Stripe[] LISTS = new Stripe[STRIPES];

    static {
        for (int i = 0; i < STRIPES; i++) {
            LISTS[i] = new Stripe();
        }
    }

    private final Extras extras;
    private final Stripe stripe;
    /** Neighbours in the stripe's list; null when not linked. Guarded by the stripe's lock. */
    private LeakRef prev;
    private LeakRef next;

    /** A sentinel. */
    private LeakRef() {
        super(null, null);
        this.extras = null;
        this.stripe = null;
        this.prev = this;
        this.next = this;
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    public LeakRef(RefCounted referent, Extras extras) {
        super(referent, ReferenceReaper.QUEUE);
        this.extras = extras;
        this.stripe = LISTS[(int) Thread.currentThread().getId() & (STRIPES - 1)];
        link();
        Housekeeper.ensureStarted();
    }

    private void link() {
        Stripe s = stripe;
        s.lock.lock();
        try {
            LeakRef h = s.head;
            next = h.next;
            prev = h;
            h.next.prev = this;
            h.next = this;
        } finally {
            s.lock.unlock();
        }
    }

    private void unlink() {
        Stripe s = stripe;
        s.lock.lock();
        try {
            if (next != null) {
                prev.next = next;
                next.prev = prev;
                next = null;
                prev = null;
            }
        } finally {
            s.lock.unlock();
        }
    }

    /** Stops watching (the object died normally). */
    @Override
    public void disarm() {
        clear();
        unlink();
    }

    @Override
    public void reaped() {
        unlink();
        if (!extras.onLeak()) {
            return; // it died normally after all
        }
        LeakDetectedEvent jfr = new LeakDetectedEvent();
        jfr.begin();
        Object core = extras.capturedCore();
        LeakReports.leaked(extras.type, extras.allocationSite(), core != null, jfr);
        Counters.LEAKS.increment(); // after its event and report: whoever sees the count can rely on them
        if (core != null && extras.claimFinalization()) {
            Finalizers.enqueue(core, extras.type);
        }
    }

}
