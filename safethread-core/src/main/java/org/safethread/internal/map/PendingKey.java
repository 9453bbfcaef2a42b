package org.safethread.internal.map;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.safethread.internal.deadlock.Waitable;
import org.safethread.internal.runtime.ThreadState;

/**
 * The marker a {@code SharedMap} stores under a key while one thread runs that key's
 * {@code computeIfAbsent} mapping, and the node of the wait-for graph that other threads asking
 * for the key wait on.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>States.</b> A marker is <em>pending</em> from the moment it is published in the map
 * ({@code putIfAbsent}) until it is <em>resolved</em>; it is never reused. It is resolved by the
 * thread that takes it out of the map: its owner when the mapping finished (the marker replaced
 * by the value), threw or returned null (the marker removed), or another thread whose write
 * displaced it ({@code put}, {@code compute}, {@code putIfAbsent} treat a pending key as
 * absent). Taking a marker out of the map is one atomic {@code ConcurrentHashMap} operation that
 * compares by identity (the marker does not override {@code equals}), so exactly one thread does
 * it; it then counts the marker off ({@link #takeOut}, once) and resolves it.
 *
 * <p><b>Whatever throws, the owner resolves its marker.</b> User code runs around the map's
 * operations: the key's {@code hashCode}/{@code equals} (and {@code compareTo}, when the map
 * turns a long bin into a tree) in every one, the mapping, the shareability check. A displacing
 * {@code put} can throw after it replaced the marker (the tree is built after the write), and the
 * owner's own removal can throw, or miss the marker (a key whose {@code hashCode} changed). So the
 * owner ends every mapping, however it ends, by releasing its marker: it removes it if it is still
 * there, counts it off (once: {@link #takeOut} is a CAS shared with any displacer), and always
 * resolves it ({@link #resolve} is idempotent). A marker its owner cannot take out (the key's code
 * throws or lies) stays in the map resolved: <em>stale</em>, absent to every observer like any
 * marker, still counted as in the map, and replaced by the next write of that key (a
 * {@code computeIfAbsent} that finds a resolved marker publishes its own in its place). So no
 * waiter is ever left waiting for a mapping that ended.
 *
 * <p><b>Waiters.</b> {@code waiters} is a Treiber stack of {@link Node}s while pending, and the
 * {@link #DONE} sentinel once resolved. A waiter pushes its node by CAS, which fails once the
 * stack is DONE (then it does not wait); resolving swaps in DONE with one {@code getAndSet} and
 * unparks every node it took. So the push and the swap are totally ordered on one variable: a
 * waiter either is in the list the resolver takes (and is unparked), or sees DONE — no lost
 * wake-up, no lock. The waiter then parks until {@link #isDone()} (a volatile read) is true;
 * every park is in a loop, so an unpark that arrives after the waiter stopped waiting (a
 * deadlock victim; see {@link Node#gone}) is harmless.
 *
 * <p><b>Memory ordering.</b> The resolver's map write (the value, or the removal) happens before
 * its {@code getAndSet(DONE)}; a waiter that reads DONE then reads the map, so it sees that write
 * or a later one: it never re-waits on the marker it waited for.
 *
 * <p><b>In the wait-for graph.</b> A waiter's edge goes to the owner while the marker is
 * pending. The owner cannot resolve it while registered as waiting itself (it is parked inside
 * its mapping), so a pending marker whose owner is registered is a stable edge, as the graph's
 * no-false-positive argument requires; once resolved the marker reports no blocker, and
 * {@link #retry} (the last re-try before a cycle is declared) is {@link #isDone()}.
 */
public final class PendingKey implements Waitable {
    /** The {@code waiters} value of a resolved marker. */
    private static final Object DONE = new Object();
    private static final VarHandle WAITERS;
    private static final VarHandle OUT;

    static {
        try {
            WAITERS = MethodHandles.lookup().findVarHandle(PendingKey.class, "waiters", Object.class);
            OUT = MethodHandles.lookup().findVarHandle(PendingKey.class, "out", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A thread waiting for the marker to resolve. */
    public static final class Node {
        final Thread thread;
        Node next;
        /** Set when the waiter gave up (a deadlock victim): the resolver need not unpark it. */
        volatile boolean gone;

        Node(Thread thread) {
            this.thread = thread;
        }

        /** Marks the waiter as no longer waiting. */
        public void leave() {
            gone = true;
        }
    }

    /** The thread running the mapping. */
    public final ThreadState owner;
    /** The key, for messages only. */
    private final Object key;
    /**
     * {@link KeyNames#hashOf} of the key, computed by the owner when it made the marker (outside
     * every lock): messages naming the key are built under the graph lock, where its
     * {@code hashCode}, user code, must not run.
     */
    private final int keyHash;
    @SuppressWarnings("unused") // through WAITERS
    private volatile Object waiters;
    /** 1 once the marker was taken out of the map and counted off ({@link #takeOut}). */
    @SuppressWarnings("unused") // through OUT
    private volatile int out;

    public PendingKey(Object key, ThreadState owner) {
        this.key = key;
        this.keyHash = KeyNames.hashOf(key);
        this.owner = owner;
    }

    /** @return whether the marker was resolved (the key has its value, or is absent again) */
    public boolean isDone() {
        return WAITERS.getVolatile(this) == DONE;
    }

    /**
     * Claims the counting-off of a marker that is out of the map (or was never published): the
     * displacer that took it out and its owner finishing may both try; one wins.
     *
     * @return true for the one caller that must count it off
     */
    public boolean takeOut() {
        return OUT.compareAndSet(this, 0, 1); // pairs with the other taker's CAS
    }

    /** @return whether the marker was counted off as out of the map */
    public boolean isOut() {
        return (int) OUT.getVolatile(this) == 1;
    }

    /**
     * Registers the calling thread as a waiter.
     *
     * @return the node to {@link Node#leave()} when giving up, or null if already resolved (do not wait)
     */
    public Node addWaiter() {
        Node n = new Node(Thread.currentThread());
        for (;;) {
            Object h = WAITERS.getVolatile(this);
            if (h == DONE) {
                return null;
            }
            n.next = (Node) h;
            if (WAITERS.compareAndSet(this, h, n)) { // pairs with the getAndSet in resolve()
                return n;
            }
        }
    }

    /**
     * Resolves the marker and wakes its waiters: by whoever took it out of the map, and by its
     * owner at the end of its mapping in any case (idempotent: only the first call wakes).
     */
    public void resolve() {
        Object h = WAITERS.getAndSet(this, DONE); // pairs with the CAS in addWaiter()
        if (h == DONE) {
            return;
        }
        for (Node n = (Node) h; n != null; n = n.next) {
            if (!n.gone) {
                LockSupport.unpark(n.thread);
            }
        }
    }

    /** The owner, while pending: the thread whose mapping every waiter depends on. */
    @Override
    public void blockers(ThreadState waiter, List<ThreadState> out) {
        if (!isDone()) {
            out.add(owner);
        }
    }

    @Override
    public boolean retry(ThreadState waiter) {
        return isDone();
    }

    @Override
    public String waitableName() {
        return keyName();
    }

    @Override
    public String blockerPhrase() {
        return "computed by";
    }

    @Override
    public String refusalNote() {
        return "its computeIfAbsent of " + keyName() + " is refused; that key is unchanged; if this was inside "
                + "another mapping, that mapping's key stays absent too; retry the operation";
    }

    /** @return how messages name the key: {@code SharedMap key "x"} */
    public String keyName() {
        return KeyNames.describe(key, keyHash); // no user code: this runs under the graph lock
    }

    @Override
    public String toString() {
        return "pending " + keyName();
    }
}
