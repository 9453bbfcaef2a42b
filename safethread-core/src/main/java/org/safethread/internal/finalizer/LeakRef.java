package org.safethread.internal.finalizer;

import java.lang.ref.PhantomReference;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.safethread.RefCounted;
import org.safethread.internal.refcount.Extras;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Housekeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leak detection for a {@link RefCounted}: a phantom reference that the JVM enqueues only if the
 * object becomes unreachable while still alive by its count (a lost reference). Death disarms it
 * (clears it), so a normal death is never reported. On a leak the object's death watches fire, its
 * captured finalizer core runs (exactly once, claimed through its {@link Extras}), and a WARN is
 * logged with the class and, when leak tracking is on, where the object was allocated.
 */
public final class LeakRef extends PhantomReference<RefCounted> implements Reaped {
    private static final Logger LOG = LoggerFactory.getLogger(LeakRef.class);
    /** Keeps armed references reachable until they are reaped or disarmed. */
    private static final Set<LeakRef> ARMED = ConcurrentHashMap.newKeySet();

    private final Extras extras;

    public LeakRef(RefCounted referent, Extras extras) {
        super(referent, ReferenceReaper.QUEUE);
        this.extras = extras;
        ARMED.add(this);
        Housekeeper.ensureStarted();
    }

    /** Stops watching (the object died normally). */
    public void disarm() {
        clear();
        ARMED.remove(this);
    }

    @Override
    public void reaped() {
        ARMED.remove(this);
        if (!extras.onLeak()) {
            return; // it died normally after all
        }
        Counters.LEAKS.increment();
        Object core = extras.capturedCore();
        Throwable site = extras.allocationSite();
        if (site != null) {
            LOG.warn("safethread: leaked {}: the JVM collected it while references were still counted "
                    + "(a decref is missing); {}", extras.type.getName(),
                    core != null ? "finalizing its core now" : "it has no captured core", site);
        } else {
            LOG.warn("safethread: leaked {}: the JVM collected it while references were still counted "
                    + "(a decref is missing); {}. Run with -Dsafethread.leakTracking=true to see where it "
                    + "was allocated", extras.type.getName(),
                    core != null ? "finalizing its core now" : "it has no captured core");
        }
        if (core != null && extras.claimFinalization()) {
            Finalizers.enqueue(core, extras.type);
        }
    }

    /** @return how many objects are armed for leak detection now */
    public static int armedCount() {
        return ARMED.size();
    }
}
