package org.safethread.stress.lincheck;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;
import org.safethread.Ref;
import org.safethread.RefCounted;

/**
 * Linearizability of a shared {@link Ref} slot: {@code set}, {@code clear}, {@code get} and
 * {@code acquire} from several threads, against {@link Spec}, a plain variable.
 *
 * <p>Every {@code set(v)} makes a fresh {@link Node} on the calling thread (its owner), stores it
 * and drops its own reference, so the slot holds the only one: the next {@code set}/{@code clear}
 * releases the last reference, from whichever thread calls it, and the node dies then (at once
 * for its owner, at the owner's next safe point for another thread). {@code acquire} must never
 * return a dead node: it reports a dead one as {@code -1}, which the specification never
 * produces, so "acquire handed out a dying object" is a linearizability failure. {@code get}
 * borrows (no count) and reports only the value, since the node may die right after.
 *
 * <p>Stress, and model checking with the runtime's plumbing left alone
 * ({@link LincheckRuns#IGNORED_PACKAGES}). Until 2026-11-30 this ran in stress mode only: after
 * every interleaving Lincheck 3.7 restores the static fields the run touched to their first
 * values (its memory snapshot), and it had recorded the runtime's static registries (thread
 * registry, counters) and failed in its own {@code SnapshotTracker.restoreValues} with a
 * {@code ConcurrentModificationException} or {@code NullPointerException}. Left alone (an ignored
 * analysis section: no events, no snapshot), that state is neither rewound nor interleaved; the
 * counts, merges and deaths ({@code internal.refcount}) are still explored.
 *
 * <p>What this does not check: that every node dies exactly once and in time. Deaths released
 * by another thread wait for the owner's safe point (by design: the owner's count is plain
 * memory), so their moment is not a linearizable event. jcstress checks it
 * ({@code RefAcquireSetTest}, {@code RefAcquireClearTest}, {@code RefLastTwoReleasesTest}).
 */
@Param(name = "value", gen = IntGen.class, conf = "1:3")
public class RefLincheckTest {
    /** A counted object carrying the value it was set with. */
    static final class Node extends RefCounted {
        final int value;

        Node(int value) {
            this.value = value;
        }
    }

    private final Ref<Node> slot = new Ref<>();

    @Operation
    public void set(@Param(name = "value") int v) {
        Node n = new Node(v);
        slot.set(n);
        n.decref();   // the slot's reference is now the only one
    }

    @Operation
    public void clear() {
        slot.clear();
    }

    @Operation
    public int get() {
        Node n = slot.get();
        return n == null ? 0 : n.value;
    }

    @Operation
    public int acquire() {
        Node n = slot.acquire();
        if (n == null) {
            return 0;
        }
        try {
            return n.isAlive() ? n.value : -1;
        } finally {
            n.decref();
        }
    }

    /** After every invocation: the node left in the slot is referenced by it, so it must be alive. */
    @Validate
    public void slotHoldsALiveNode() {
        Node n = slot.get();
        if (n != null && !n.isAlive()) {
            throw new IllegalStateException("the slot holds a dead node (value " + n.value + ")");
        }
    }

    @Test
    void stress() {
        LincheckRuns.stressOnly(Spec.class).check(RefLincheckTest.class);
    }

    @Test
    void modelChecking() {
        LincheckRuns.modelChecking(Spec.class).check(RefLincheckTest.class);
    }

    /** The sequential specification: a variable; 0 is empty. */
    public static class Spec {
        private int value;

        public void set(int v) {
            value = v;
        }

        public void clear() {
            value = 0;
        }

        public int get() {
            return value;
        }

        public int acquire() {
            return value;
        }
    }
}
