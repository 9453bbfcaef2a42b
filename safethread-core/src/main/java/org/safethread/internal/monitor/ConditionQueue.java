package org.safethread.internal.monitor;

import java.util.HashMap;
import java.util.TreeSet;

/**
 * The {@code Monitor.await} waiters of one monitor, grouped by condition ({@link ConditionKey}):
 * a release evaluates each distinct condition once, oldest group first, instead of every
 * waiter's. A gate that 10,000 threads wait at costs one evaluation per release, not 10,000.
 *
 * <h2>Implementation notes</h2>
 *
 * <p>Holder-only: every method runs holding the monitor (appends by the thread about to wait,
 * grants and purges by the releasing holder, removals by a cancelled waiter after it re-entered),
 * so no field here needs ordering of its own; the waiter's {@code state} CAS decides between a
 * grant and a cancel (see {@link ConditionWaiter}).
 *
 * <ul>
 *   <li>Each group is a FIFO of waiters with equal keys, doubly linked; its age is its head's
 *       sequence number. {@code byAge} orders groups by that age, so iterating it visits waiters
 *       whose condition could hold oldest first: the oldest waiter of the oldest group whose
 *       condition holds is the oldest waiter overall whose condition holds (all waiters of a
 *       group share one answer).</li>
 *   <li>Invariant: a group is in {@code byKey} and {@code byAge} iff it is non-empty; a group's
 *       head changes only after it has been taken out of {@code byAge} (the set's order depends
 *       on it) and is put back afterwards.</li>
 *   <li>Each release gets a number; a group evaluated in this release is not evaluated again in
 *       it (its answer cannot change while the releaser holds the monitor and runs nothing
 *       else).</li>
 * </ul>
 */
final class ConditionQueue {
    /** A FIFO of waiters with the same condition. */
    static final class Group {
        final Object key;
        ConditionWaiter head;
        ConditionWaiter tail;
        /** The release that last evaluated this group's condition. */
        long evaluatedAt;

        Group(Object key) {
            this.key = key;
        }
    }

    private final HashMap<Object, Group> byKey = new HashMap<>();
    private final TreeSet<Group> byAge = new TreeSet<>((a, b) -> Long.compare(a.head.seq, b.head.seq));
    private long nextSeq;
    private long releases;
    /**
     * Branches open inside the monitor's current entry ({@code MonitorStack.pin}). Counted here so
     * that the exit, which already reads this queue, takes its slow path while one is open and
     * finds a branch left open; the fast exit reads nothing more.
     */
    int pins;

    /** @return whether no condition waiter waits and no branch pins the monitor */
    boolean isEmpty() {
        return byAge.isEmpty() && pins == 0;
    }

    /** @return whether a branch opened inside the monitor's current entry is still open */
    boolean hasPins() {
        return pins != 0;
    }

    /** Appends {@code w} (the youngest waiter). */
    void add(ConditionWaiter w) {
        w.seq = ++nextSeq;
        Group g = byKey.get(w.key);
        if (g == null) {
            g = new Group(w.key);
            byKey.put(w.key, g);
        }
        w.group = g;
        if (g.head == null) {
            g.head = g.tail = w;
            byAge.add(g);
        } else {
            w.prevInGroup = g.tail;
            g.tail.nextInGroup = w;
            g.tail = w;
        }
    }

    /** Removes {@code w} if it is still queued. */
    void remove(ConditionWaiter w) {
        Group g = w.group;
        if (g == null) {
            return;
        }
        w.group = null;
        boolean wasHead = g.head == w;
        if (wasHead) {
            byAge.remove(g); // before the head (the set's order) changes
        }
        if (w.prevInGroup != null) {
            w.prevInGroup.nextInGroup = w.nextInGroup;
        } else {
            g.head = w.nextInGroup;
        }
        if (w.nextInGroup != null) {
            w.nextInGroup.prevInGroup = w.prevInGroup;
        } else {
            g.tail = w.prevInGroup;
        }
        w.prevInGroup = null;
        w.nextInGroup = null;
        if (g.head == null) {
            byKey.remove(g.key);
        } else if (wasHead) {
            byAge.add(g);
        }
    }

    /**
     * @return whether a thread of the queue is {@code t} (O(waiters): for a refusal's rare path,
     *     {@code ProxySupport}); a waiter that was cancelled but has not yet removed itself counts,
     *     as it still waits, to re-enter
     */
    boolean hasWaiter(Thread t) {
        for (Group g : byAge) {
            for (ConditionWaiter w = g.head; w != null; w = w.nextInGroup) {
                if (w.ts.thread == t) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Finds the oldest waiter whose condition holds now and grants it: evaluates each group's
     * condition at most once, oldest group first, dropping cancelled waiters on the way. A
     * condition that throws counts as holding; its failure is handed to that waiter.
     *
     * @param skip a waiter whose condition the caller has just found false (its group is not
     *     evaluated), or null
     * @return the claimed waiter (GRANTING), already removed, for the caller to hand the monitor
     *     to and then {@link ConditionWaiter#completeGrant()}; null if no condition holds
     */
    ConditionWaiter grantOldestReady(ConditionWaiter skip) {
        long release = ++releases;
        Group skipGroup = skip == null ? null : skip.group;
        restart:
        for (;;) {
            // first()/higher() rather than an iterator: no allocation on a release's common path
            for (Group g = byAge.isEmpty() ? null : byAge.first(); g != null; g = byAge.higher(g)) {
                if (g.evaluatedAt == release || g == skipGroup) {
                    continue;
                }
                ConditionWaiter h = g.head;
                if (h.state() != ConditionWaiter.WAITING) {
                    remove(h); // cancelled (timeout, interrupt): the set changed, iterate again
                    continue restart;
                }
                g.evaluatedAt = release;
                boolean holds;
                Throwable failure = null;
                try {
                    holds = h.condition.getAsBoolean();
                } catch (Throwable t) {
                    holds = true; // deliver the failure to the waiter whose condition it is
                    failure = t;
                }
                if (!holds) {
                    continue;
                }
                h.failure = failure;
                remove(h);
                if (h.beginGrant()) {
                    return h;
                }
                // Cancelled meanwhile: the condition still holds for the group's next waiter.
                if (failure == null) {
                    g.evaluatedAt = release - 1;
                }
                continue restart;
            }
            return null;
        }
    }
}
