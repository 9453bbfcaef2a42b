package org.safethread.internal.refcount;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.safethread.RefCounted;

/**
 * An owner's merge queue: objects that other threads released below what the owner's plain count
 * holds, waiting for the owner (or a thread holding it) to merge them. A Treiber stack: many
 * producers push by CAS, the single consumer of the moment (the owner, or the one thread that
 * holds it) takes everything with one atomic swap.
 *
 * <p>Each object is pushed at most once per QUEUED flag (set by CAS in its count word), so the
 * queue is bounded by the owner's live objects. Volatile/CAS accesses throughout.
 */
final class MergeQueue {
    private static final VarHandle HEAD;

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(MergeQueue.class, "head", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final class Node {
        final RefCounted obj;
        Node next;

        Node(RefCounted obj) {
            this.obj = obj;
        }
    }

    @SuppressWarnings("unused") // through HEAD
    private volatile Node head;

    /** Pushes {@code obj} (any thread). */
    void push(RefCounted obj) {
        Node n = new Node(obj);
        for (;;) {
            Node h = (Node) HEAD.getVolatile(this);
            n.next = h;
            if (HEAD.compareAndSet(this, h, n)) {
                return;
            }
        }
    }

    /** @return everything queued, newest first, or null (the current consumer only) */
    Node takeAll() {
        return (Node) HEAD.getAndSet(this, (Node) null);
    }

    /**
     * @return how many objects are queued now (any thread; a walk of the stack from a volatile
     *     read of its head: nodes are immutable once pushed, so the walk is safe while the
     *     consumer takes them)
     */
    int size() {
        int n = 0;
        for (Node p = (Node) HEAD.getVolatile(this); p != null; p = p.next) {
            n++;
        }
        return n;
    }

    /** @return whether anything is queued (volatile read) */
    boolean isEmpty() {
        return HEAD.getVolatile(this) == null;
    }
}
