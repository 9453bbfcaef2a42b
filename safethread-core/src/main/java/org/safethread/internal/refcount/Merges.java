package org.safethread.internal.refcount;

import static org.safethread.internal.refcount.CountWord.DEAD;
import static org.safethread.internal.refcount.CountWord.LOCAL_COUNT;
import static org.safethread.internal.refcount.CountWord.MERGED;
import static org.safethread.internal.refcount.CountWord.QUEUED;
import static org.safethread.internal.refcount.CountWord.isDead;
import static org.safethread.internal.refcount.CountWord.refs;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.safethread.RefCounted;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Housekeeper;
import org.safethread.internal.runtime.ThreadState;

/**
 * Merging: the moment an owner gives up its plain count, folding it (and every cell) into the
 * shared word, after which the object is MERGED and every thread counts atomically.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>A merge reads the owner's plain count, so it runs only in the owner, or in a thread that
 *       holds the owner ({@link ThreadState#tryHold()}: parked inside the runtime, or ended).</li>
 *   <li>It freezes the object's cells and CASes the word under the object's Extras lock, so the
 *       total it computes cannot change under it: the owner's count is stable (owner or held),
 *       cells are frozen, and other threads' shared changes are serialized by the CAS.</li>
 *   <li>Who merges a queued object: the releasing thread itself when it can hold the owner at
 *       once (the object dies before {@code decref} returns), else the owner at its next runtime
 *       call (it sees {@code REQ_MERGE} on its fast path), else the housekeeper within a few
 *       milliseconds once the owner parks inside the runtime or ends. An owner running outside
 *       the runtime keeps the object until it returns: its count cannot be read safely.</li>
 *   <li>Owners with queued objects are kept in a set for the housekeeper. Removal re-checks the
 *       queue afterwards, so a push racing with the removal is never forgotten (the pusher adds
 *       after pushing; the remover re-adds if it finds the queue non-empty after removing).</li>
 *   <li>A drain merges every object it took, even when a merge throws (a death refused to the
 *       calling thread): the batch it swapped out exists nowhere else. The first exception is
 *       rethrown at the end (see {@code drain}); the owner's poll does not pass it on
 *       ({@code OwnerWork.drainMergeQueue}).</li>
 * </ul>
 */
public final class Merges {
    private static final Set<ThreadState> OWNERS_WITH_WORK = ConcurrentHashMap.newKeySet();

    private Merges() {
    }

    /**
     * Queues {@code x} on its owner's merge queue (its QUEUED flag was just set by the caller's
     * CAS) and merges at once if the owner can be held.
     *
     * @return true if the merge found that {@code x} was over-released (and killed it)
     */
    static boolean queue(RefCounted x, ThreadState requester) {
        ThreadState o = CountFields.ownerOpaque(x);
        if (o == null) {
            return false; // merged concurrently: the merge saw our release
        }
        Counters.PENDING_MERGES.increment();
        OwnerWork.of(o).mergeQueue.push(x); // push, then read o's state: pairs with ThreadState.detach
        o.request(ThreadState.REQ_MERGE);
        OWNERS_WITH_WORK.add(o);
        if (o == requester) {
            return false; // the owner itself: it merges at its next poll
        }
        if (o.tryHold()) {
            boolean over;
            try {
                over = drain(o, x);
            } finally {
                o.release();
            }
            return over;
        }
        if (o.isTerminated() || o.attachState() != ThreadState.ATTACHED) {
            Housekeeper.requestMergeHelp();
        } else {
            Housekeeper.ensureStarted(); // it watches for owners that do not come back (IdleOwners)
        }
        return false;
    }

    /**
     * Merges everything queued for {@code o}. Caller is {@code o}'s thread or holds it.
     *
     * @throws RuntimeException the first a merge threw (a death refused to the calling thread:
     *     {@code Deaths.die}), after every queued object was merged all the same
     */
    public static void drain(ThreadState o) {
        drain(o, null);
    }

    /**
     * The drain takes the queue with one swap, so the objects of a batch exist nowhere else: a
     * merge that throws (a death refused to a non-runtime caller, {@code Deaths.finish}) must not
     * end the batch, or the rest would stay queued for ever (their QUEUED flag is set, so no
     * release queues them again, and the request that asked for them is consumed). So every
     * object is merged, and the first exception is rethrown at the end, as {@code Deaths.die}
     * reports a refusal after finishing its worklist ({@code MergeRefusalTest}).
     */
    private static boolean drain(ThreadState o, RefCounted watch) {
        boolean overWatched = false;
        RuntimeException failed = null;
        MergeQueue q = OwnerWork.of(o).mergeQueue;
        for (MergeQueue.Node n = q.takeAll(); n != null; n = q.takeAll()) {
            for (; n != null; n = n.next) {
                Counters.PENDING_MERGES.decrement();
                try {
                    if (merge(n.obj, o) && n.obj == watch) {
                        overWatched = true;
                    }
                } catch (RuntimeException e) {
                    if (failed == null) {
                        failed = e;
                    } else if (failed != e) {
                        failed.addSuppressed(e);
                    }
                }
            }
        }
        forget(o);
        if (failed != null) {
            throw failed;
        }
        return overWatched;
    }

    /**
     * Drops {@code o} from the owners with work, unless its queue is non-empty after the removal
     * (a push racing with the removal: the pusher adds {@code o} after pushing, so either its add
     * comes after this remove, or this re-check sees its push and adds {@code o} back).
     */
    private static void forget(ThreadState o) {
        OWNERS_WITH_WORK.remove(o);
        if (OwnerWork.of(o).hasQueuedMerges()) {
            OWNERS_WITH_WORK.add(o);
        }
    }

    /**
     * Gives up {@code o}'s ownership of {@code x}: folds the owner's plain count and all cells into
     * the shared word, sets MERGED, and kills the object if nothing is left. Caller is the owner
     * or holds it. Does nothing if {@code x} is no longer owned by {@code o}.
     *
     * @return true if the merge found an over-release
     */
    static boolean merge(RefCounted x, ThreadState o) {
        if (CountFields.ownerPlain(x) != o) {
            return false;
        }
        long localCount = CountFields.localPlain(x) & LOCAL_COUNT;
        // A DEAD word is left alone (Fold): the object died (its death processing clears the
        // owner), or a collector marked it dead and may still restore it after a failed group
        // validation.
        long f = Fold.fold(x, null, localCount, MERGED, QUEUED,
                Fold.TOUCH | Fold.DECIDE | Fold.CLAIM_CAND | Fold.CLEAR_OWNER);
        if (!Fold.folded(f)) {
            return false;
        }
        boolean died = isDead(f);
        boolean over = died && refs(f) < 0;
        // Still referenced: the owner's references just went away, so this is a release to a
        // non-zero count, and the object may now be a garbage cycle (claimed by the fold).
        boolean cand = Fold.claimed(f);
        if (over) {
            RefCounts.reportOverRelease(x);
        }
        if (cand) {
            Candidates.add(x);
        }
        if (died) {
            Deaths.die(x);
        }
        return over;
    }

    /**
     * Housekeeper round: merges for every owner with queued objects that can be held (parked
     * inside the runtime, or ended).
     *
     * @return whether anything was merged
     */
    public static boolean helpOwners() {
        boolean did = false;
        long now = System.nanoTime();
        // A snapshot of the set: the loop removes (and may re-add) owners, so it walks a copy
        // rather than the set it changes. An owner added after the copy is seen next round
        // (its pusher also wakes the housekeeper).
        for (ThreadState o : OWNERS_WITH_WORK.toArray(new ThreadState[0])) {
            if (!OwnerWork.of(o).hasQueuedMerges()) {
                IdleOwners.cameBack(o);
                forget(o);
                continue;
            }
            if (o.tryHold()) {
                try {
                    drain(o);
                    did = true;
                } finally {
                    o.release();
                }
                IdleOwners.cameBack(o);
            } else {
                IdleOwners.watch(o, now);
            }
        }
        IdleOwners.endRound();
        return did;
    }

    /** @return whether some owner has queued objects */
    public static boolean hasOwnersWithWork() {
        return !OWNERS_WITH_WORK.isEmpty();
    }
}
