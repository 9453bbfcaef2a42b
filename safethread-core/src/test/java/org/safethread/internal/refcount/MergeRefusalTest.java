package org.safethread.internal.refcount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.Finalize;
import org.safethread.FinalizerCore;
import org.safethread.RefCounted;
import org.safethread.Shareable;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.testing.OwnThreads;

/**
 * A death refused during a merge (a finalizer core that reaches its owner, found at the object's
 * death: {@code Deaths.finish}) at the owner's poll. Two faults of one kind are checked:
 * <ul>
 *   <li>The drain takes its whole queue with one swap ({@code MergeQueue.takeAll}), so the
 *       objects of that batch not yet merged when a merge threw must still be merged: nothing
 *       else would queue them again (their QUEUED flag is set), and the request that asked for
 *       them is consumed. Before {@code Merges.drain} finished its batch, they stayed alive for
 *       ever.</li>
 *   <li>The poll runs inside whichever runtime call of the owner came next, which has nothing to
 *       do with the refused object: that call must not fail, and must do its work. Before
 *       {@code OwnerWork.drainMergeQueue} kept the refusal (logged and counted where it was
 *       found), an {@code incref} threw without counting (a caller's {@code finally} then
 *       released a reference it never got) and a {@code decref} threw without releasing (a
 *       leak).</li>
 * </ul>
 */
@Timeout(30)
class MergeRefusalTest {

    /** An owner-biased object with nothing to finalize. */
    static final class Obj extends RefCounted {
    }

    /** A core that holds anything (here: a path back to its owner, which its death check refuses). */
    @Shareable
    static final class AnyCore {
        final Object held;

        AnyCore(Object held) {
            this.held = held;
        }

        @Finalize
        void done() {
        }
    }

    /** Its core reaches it: its death is refused (thrown to the non-runtime thread processing it). */
    static final class Refused extends RefCounted {
        @FinalizerCore
        final AnyCore core;

        Refused() {
            core = new AnyCore(new AtomicReference<>(this));
        }
    }

    private static void onOwnThread(OwnThreads.Body body) throws Exception {
        OwnThreads.onOwnThread("merge-refusal-owner", body);
    }

    private static void elsewhere(Runnable r) throws Exception {
        OwnThreads.elsewhere("merge-refusal-releaser", r);
    }

    @Test
    void aRefusedDeathInTheOwnersMergeLeavesNoObjectOfItsBatchUnmerged() throws Exception {
        onOwnThread(() -> {
            Obj a = new Obj();
            Obj b = new Obj();
            Refused r = new Refused();
            Obj y = new Obj();
            // Released elsewhere, in this order: the queue is a stack, so r is merged first.
            elsewhere(() -> {
                a.decref();
                b.decref();
                r.decref();
            });
            assertTrue(a.isAlive() && b.isAlive() && r.isAlive(), "all three wait for their owner's merge");
            ThreadState ts = ThreadState.current();
            long failures = Counters.FINALIZER_FAILURES.sum(); // not stats(): a runtime call, it would poll
            y.incref(); // the owner's next runtime call merges: r's death is refused, logged and counted
            assertEquals(failures + 1, Counters.FINALIZER_FAILURES.sum(), "r's refused core was counted");
            assertEquals(2, y.refCount(), "the incref that polled counted, and did not throw for r");
            assertFalse(r.isAlive(), "the refused death was completed");
            assertFalse(a.isAlive(), "a, in the same batch as r, was merged (and died) too");
            assertFalse(b.isAlive(), "b, in the same batch as r, was merged (and died) too");
            assertEquals(0, ts.requests(), "nothing is left requested");
            assertSame(Thread.currentThread(), ts.fastPathThreadOpaque(), "the key is restored");
            y.decref();
            y.decref();
        });
    }

    /**
     * The poll that meets the refusal runs inside a {@code decref} of another object, with the
     * owner's own work also pending: the {@code decref} releases its reference and returns, the
     * work request is answered in the same poll, and the key is restored.
     */
    @Test
    void aRefusalMetInThePollOfAnotherObjectsDecrefNeitherThrowsNorLeaks() throws Exception {
        onOwnThread(() -> {
            Refused r = new Refused();
            Obj y = new Obj();
            y.incref();
            elsewhere(r::decref);
            ThreadState ts = ThreadState.current();
            ts.request(ThreadState.REQ_WORK); // pending beside the merge
            y.decref(); // polls: r's refused death, then the work; then y's release itself
            assertEquals(1, y.refCount(), "the decref that polled released its reference");
            assertFalse(r.isAlive());
            assertEquals(0, ts.requests(), "both requests were answered in that poll");
            assertSame(Thread.currentThread(), ts.fastPathThreadOpaque(), "and the key restored");
            y.decref();
            assertFalse(y.isAlive(), "y died at its last release: nothing leaked");
        });
    }
}
