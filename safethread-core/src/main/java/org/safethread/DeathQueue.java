package org.safethread;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.safethread.internal.finalizer.PlainWatches;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.finalizer.Watch;
import org.safethread.internal.finalizer.ReachWalk;
import org.safethread.internal.refcount.RefCounts;
import org.safethread.internal.runtime.CancelScope;
import org.safethread.internal.runtime.ThreadState;
import org.jspecify.annotations.Nullable;
import org.safethread.internal.share.ShareRules;

/**
 * Low-level death notices (python-safethread's death queues): {@link #watch} an object with a
 * payload, and the payload is delivered to this queue once the object dies, unless the watch is
 * {@linkplain #cancel cancelled} first. For a {@link RefCounted} the notice comes at its death
 * (last reference released, or found in a garbage cycle; also if the JVM collects it while
 * references are still counted, a leak). For any other object it comes when the JVM's collector
 * finds it unreachable. The watched object itself is never handed out again, so nothing can
 * resurrect it. The runtime's finalizer is built on the same mechanism.
 *
 * <p>Thread-safe; payloads must be {@linkplain Shareability shareable}, since they cross from the
 * thread where the object died to the one that takes the notice.
 *
 * <p>Memory consistency: actions of the thread that released an object's last reference before
 * it did so happen-before the return of the {@code take}/{@code poll} that yields the notice.
 *
 * @param <P> the payload type
 */
public final class DeathQueue<P> {
    static {
        ShareRules.registerValueType(DeathQueue.class); // thread-safe: shareable (see ShareRules' notes)
    }

    private final LinkedBlockingQueue<Object> notices = new LinkedBlockingQueue<>();

    /** Creates an empty queue. */
    public DeathQueue() {
    }

    /** A watch registered with {@link #watch}; pass it to {@link #cancel}. Thread-safe. */
    public static final class Handle {
        static {
            ShareRules.registerValueType(Handle.class); // immutable: shareable
        }

        private final DeathQueue<?> queue;
        private final Notice notice;

        private Handle(DeathQueue<?> queue, Notice notice) {
            this.queue = queue;
            this.notice = notice;
        }

        /** @return whether the watch is still waiting (neither delivered nor cancelled) */
        public boolean isWatching() {
            return notice.isWatching();
        }

        @Override
        public String toString() {
            return "DeathQueue.Handle[" + (isWatching() ? "watching" : "done") + "]";
        }
    }

    private static final class Notice extends Watch {
        private final LinkedBlockingQueue<Object> target;
        private final Object payload;
        /** The phantom reference for a plain object, to forget on cancel. */
        volatile @Nullable Object plainRef;

        Notice(LinkedBlockingQueue<Object> target, Object payload) {
            this.target = target;
            this.payload = payload;
        }

        @Override
        protected void deliver() {
            target.add(payload);
        }

        @Override
        protected void onCancel() {
            Object r = plainRef;
            if (r != null) {
                PlainWatches.forget(r);
            }
        }
    }

    /**
     * Watches {@code obj}: {@code payload} will be delivered to this queue once, when it dies.
     *
     * <p>A {@linkplain Monitor monitor} stands for its target, as in {@link SafeThread#register}:
     * {@code watch(monitor, p)} watches the object the monitor guards (a {@code RefCounted}
     * target at its death, another when the JVM collects it), not the proxy, whose life is not
     * the target's.
     *
     * @param obj the object to watch (any object), or a monitor guarding it
     * @param payload what to deliver; must be shareable and not null
     * @return a handle for {@link #cancel}
     * @throws NullPointerException if {@code obj} or {@code payload} is null ({@code poll()} uses
     *     null for "no notice", so a payload must be a value: an id, a record, …)
     * @throws UnshareableException if {@code payload} is not shareable
     * @throws IllegalArgumentException if {@code payload} reaches {@code obj} (is it, or holds it
     *     through its fields, a record component, a collection, a monitor's state, a {@code Ref},
     *     …; the message names the path), or holds something whose contents cannot be checked:
     *     the queue keeps the payload strongly until delivery, so such a payload would keep an
     *     object that is not {@code RefCounted} from ever being collected (no notice, a leak), and
     *     would hand a {@code RefCounted} out again after its death
     */
    public Handle watch(Object obj, P payload) {
        Objects.requireNonNull(obj, "DeathQueue.watch: obj (the object to watch) is null");
        obj = MonitorAccess.standIn(obj); // a monitor: its target's death, not the proxy's
        Objects.requireNonNull(payload, "DeathQueue.watch: payload is null; poll() uses null for "
                + "'no notice', so pass a value (an id, a record, …)");
        String why = Shareability.whyNotShareable(payload);
        if (why != null) {
            throw new UnshareableException("DeathQueue.watch: the payload (" + payload.getClass().getName()
                    + ") is not shareable: " + why);
        }
        String path;
        try {
            path = ReachWalk.reaches(payload, obj, "payload", false); // strong reachability, no user code
        } catch (ReachWalk.Unverifiable e) {
            throw new IllegalArgumentException("DeathQueue.watch: cannot verify that the payload does not reach the "
                    + "watched " + obj.getClass().getName() + ": " + e.path + " " + e.reason + "; a payload that "
                    + "reached it would keep it from being collected for ever, so keep in the payload only what "
                    + "the notice needs (an id, a record of values)");
        }
        if (path != null) {
            throw new IllegalArgumentException("DeathQueue.watch: the payload reaches the watched "
                    + obj.getClass().getName() + (path.equals("payload") ? " (it is that object)" : " through " + path)
                    + ": the queue holds the payload until the notice, so the object could never die (or, if "
                    + "RefCounted, would be handed out again after its death); make the payload something that "
                    + "identifies it without holding it (an id, a name, a record of values)");
        }
        ThreadState.current().pollIfRequested();
        Notice n = new Notice(notices, payload);
        Handle h = new Handle(this, n);
        if (obj instanceof RefCounted) {
            RefCounts.watch((RefCounted) obj, n);
        } else {
            n.plainRef = PlainWatches.watch(obj, n);
        }
        return h;
    }

    /**
     * Waits for a notice. While waiting the thread is blocked inside the runtime, so its pending
     * merges are done on its behalf.
     *
     * @return the payload of a watched object that died
     * @throws InterruptedException if interrupted while waiting
     * @throws CancelledException in a child thread whose {@link Branch} is cancelled
     */
    @SuppressWarnings("unchecked")
    public P take() throws InterruptedException {
        ThreadState ts = ThreadState.current();
        ts.pollIfRequested();
        CancelScope.check("DeathQueue.take");
        Object p = notices.poll();
        if (p != null) {
            return (P) p;
        }
        ts.detach();
        try {
            return (P) notices.take();
        } catch (InterruptedException e) {
            throw cancelledOr(e, "DeathQueue.take");
        } finally {
            ts.attach();
        }
    }

    /** @return the payload of a notice, or null if none is queued now */
    @SuppressWarnings("unchecked")
    public @Nullable P poll() {
        ThreadState.current().pollIfRequested();
        return (P) notices.poll();
    }

    /**
     * Waits up to {@code timeout} for a notice.
     *
     * @param timeout the longest time to wait
     * @return the payload, or null if the timeout passed first
     * @throws NullPointerException if {@code timeout} is null
     * @throws InterruptedException if interrupted while waiting
     * @throws CancelledException in a child thread whose {@link Branch} is cancelled
     */
    @SuppressWarnings("unchecked")
    public @Nullable P poll(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "DeathQueue.poll: timeout is null");
        ThreadState ts = ThreadState.current();
        ts.pollIfRequested();
        CancelScope.check("DeathQueue.poll");
        Object p = notices.poll();
        if (p != null || timeout.isZero() || timeout.isNegative()) {
            return (P) p;
        }
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        ts.detach();
        try {
            return (P) notices.poll(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            throw cancelledOr(e, "DeathQueue.poll");
        } finally {
            ts.attach();
        }
    }

    /**
     * Cancels a watch.
     *
     * @param handle a handle returned by this queue's {@link #watch}
     * @return true if it was still watching (no notice will come), false if its notice was
     *     already delivered or it was cancelled before
     * @throws NullPointerException if {@code handle} is null
     * @throws IllegalArgumentException if the handle belongs to another queue
     */
    public boolean cancel(Handle handle) {
        Objects.requireNonNull(handle, "DeathQueue.cancel: handle is null");
        if (handle.queue != this) {
            throw new IllegalArgumentException("DeathQueue.cancel: the handle belongs to another DeathQueue");
        }
        return handle.notice.cancel();
    }

    /**
     * @return the exception for an interrupted wait: {@link CancelledException} in a cancelled
     *     branch (the interrupt status is set again: the cancellation stays visible to JDK calls),
     *     else {@code e}
     */
    private static InterruptedException cancelledOr(InterruptedException e, String where) {
        if (CancelScope.cancelledNow()) {
            Thread.currentThread().interrupt();
            throw CancelScope.cancelledAt(where);
        }
        return e;
    }

    /** @return notices waiting to be taken now */
    public int size() {
        return notices.size();
    }

    @Override
    public String toString() {
        return "DeathQueue[" + notices.size() + " notice(s)]";
    }
}
