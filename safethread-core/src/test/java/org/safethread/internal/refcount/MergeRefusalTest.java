package org.safethread.internal.refcount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.Finalize;
import org.safethread.FinalizerCore;
import org.safethread.RefCounted;
import org.safethread.SafeThread;
import org.safethread.Shareable;
import org.safethread.internal.runtime.ThreadState;

/**
 * A death refused during a merge (a finalizer core that reaches its owner, found at the object's
 * death: {@code Deaths.finish}) throws out of the merge drain, and so out of the owner's
 * {@code poll()}. The drain takes its whole queue with one swap ({@code MergeQueue.takeAll}), so
 * the objects of that batch not yet merged must still be merged: nothing else would queue them
 * again (their QUEUED flag is set), and the request that asked for them is consumed. Before
 * {@code Merges.drain} finished its batch, they stayed alive for ever.
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

    /** Runs {@code body} on a fresh platform thread (so its objects are owner-biased) and waits for it. */
    private static void onOwnThread(ThrowingRunnable body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "merge-refusal-owner");
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(t.isAlive(), "the owner thread finished");
        if (failure.get() instanceof Exception e) {
            throw e;
        }
        if (failure.get() instanceof Error e) {
            throw e;
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Runs {@code r} on another (non-owner, non-runtime) thread and waits for it. */
    private static void elsewhere(Runnable r) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                r.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "merge-refusal-releaser");
        t.start();
        done.get(10, TimeUnit.SECONDS);
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
            IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class, y::incref,
                    "the owner's next runtime call merges, and r's refused death is reported to it");
            assertNotNull(refusal.getMessage());
            assertFalse(r.isAlive(), "the refused death was completed");
            assertFalse(a.isAlive(), "a, in the same batch as r, was merged (and died) too");
            assertFalse(b.isAlive(), "b, in the same batch as r, was merged (and died) too");
            assertEquals(0, ts.requests(), "nothing is left requested");
            SafeThread.poll();
            assertSame(Thread.currentThread(), ts.fastPathThreadOpaque(), "the key is restored");
            y.decref();
        });
    }

    /**
     * A poll that throws (here: the refused death of a merge) with another request still pending
     * (here: the owner's own work, asked for before the poll) must leave the fast-path key
     * cleared, so that the owner's next runtime call polls again: the poll's exit restores the key
     * only after re-reading the bits ({@code ThreadState.restoreFastPath}).
     */
    @Test
    void aPollThatThrowsLeavesTheKeyClearedWhileARequestIsPending() throws Exception {
        onOwnThread(() -> {
            Refused r = new Refused();
            Obj y = new Obj();
            elsewhere(r::decref);
            ThreadState ts = ThreadState.current();
            ts.request(ThreadState.REQ_WORK); // pending behind the merge (the poll answers merges first)
            assertThrows(IllegalArgumentException.class, y::incref, "the refused death is reported");
            assertFalse(r.isAlive());
            assertTrue((ts.requests() & ThreadState.REQ_WORK) != 0, "the work request is still pending");
            assertEquals(null, ts.fastPathThreadOpaque(), "so the key stays cleared");
            y.incref(); // the slow path polls: answers the work request and restores the key
            assertEquals(0, ts.requests() & ThreadState.REQ_WORK, "the next runtime call answered it");
            assertSame(Thread.currentThread(), ts.fastPathThreadOpaque(), "and restored the key");
            assertEquals(2, y.refCount(), "the incref that polled counted once");
            y.decref();
            y.decref();
            assertFalse(y.isAlive());
        });
    }
}
