package org.safethread.internal.finalizer;

import java.lang.ref.PhantomReference;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.safethread.internal.runtime.Housekeeper;

/**
 * Death watches on objects that are not reference counted: the notice comes when the JVM's
 * collector finds the object unreachable (a phantom reference, so nothing can reach the object
 * again).
 */
public final class PlainWatches {
    /** Keeps the phantom references reachable until they are reaped or cancelled. */
    private static final Set<WatchRef> LIVE = ConcurrentHashMap.newKeySet();

    private PlainWatches() {
    }

    private static final class WatchRef extends PhantomReference<Object> implements Reaped {
        final Watch watch;

        WatchRef(Object referent, Watch watch) {
            super(referent, ReferenceReaper.QUEUE);
            this.watch = watch;
        }

        @Override
        public void reaped() {
            LIVE.remove(this);
            watch.fire();
        }
    }

    /**
     * Watches {@code obj}.
     *
     * @return a handle to pass to {@link #forget(Object)} when the watch is cancelled
     */
    public static Object watch(Object obj, Watch w) {
        WatchRef r = new WatchRef(obj, w);
        LIVE.add(r);
        Housekeeper.ensureStarted();
        return r;
    }

    /** Stops tracking a cancelled watch. */
    public static void forget(Object handle) {
        WatchRef r = (WatchRef) handle;
        r.clear();
        LIVE.remove(r);
    }
}
