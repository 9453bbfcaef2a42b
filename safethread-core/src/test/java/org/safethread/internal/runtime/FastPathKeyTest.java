package org.safethread.internal.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;
import org.safethread.RefCounted;
import org.safethread.testing.OwnThreads;

/**
 * The fast-path key ({@code ThreadState}'s notes): a request clears it, so that the owner's
 * fast paths (its own objects' {@code incref}/{@code decref}, a monitor entry) notice the
 * request with their one compare; the owner's poll restores it. Each test runs its owner on a
 * thread of its own (a plain platform thread, not a pool worker, so its objects are owner-biased).
 */
@Timeout(30)
class FastPathKeyTest {

    /** An owner-biased object with nothing to finalize. */
    static final class Obj extends RefCounted {
    }

    /** A monitor target. */
    public static class Counter {
        private int n;

        @MonitorMethod
        public int add(int x) {
            n += x;
            return n;
        }
    }

    private static void onOwnThread(OwnThreads.Body body) throws Exception {
        OwnThreads.onOwnThread("fast-path-key-owner", body);
    }

    private static void elsewhere(Runnable r) throws Exception {
        OwnThreads.elsewhere("fast-path-key-requester", r);
    }

    @Test
    void aRequestClearsTheKeyAndThePollRestoresIt() throws Exception {
        onOwnThread(() -> {
            ThreadState ts = ThreadState.current();
            assertSame(Thread.currentThread(), ts.fastPathThreadOpaque(), "a fresh state's key is its thread");
            elsewhere(() -> ts.request(ThreadState.REQ_MERGE));
            assertNull(ts.fastPathThreadOpaque(), "a request clears the key");
            ts.pollIfRequested();
            assertEquals(0, ts.requests(), "the poll answered the request");
            assertSame(Thread.currentThread(), ts.fastPathThreadOpaque(), "and restored the key");
        });
    }

    @Test
    void aKeyClearedWithNothingPendingIsRestoredByTheNextRuntimeCall() throws Exception {
        onOwnThread(() -> {
            Obj x = new Obj();
            ThreadState ts = ThreadState.current();
            // A request answered by another thread (as a helper answers for a detached owner):
            // the bits are gone, the key is still cleared.
            elsewhere(() -> {
                ts.request(ThreadState.REQ_MERGE);
                ts.clearRequest(ThreadState.REQ_MERGE);
            });
            assertNull(ts.fastPathThreadOpaque());
            x.incref(); // the slow path: polls, which restores the key
            assertSame(Thread.currentThread(), ts.fastPathThreadOpaque(), "the slow path restored the key");
            x.decref();
            assertEquals(1, x.refCount(), "the counts went through the slow path correctly");
            x.decref();
            assertFalse(x.isAlive());
        });
    }

    @Test
    void theOwnersIncrefOfAnotherObjectAnswersAMergeRequest() throws Exception {
        onOwnThread(() -> {
            Obj x = new Obj(); // one reference, in this thread's plain count
            Obj y = new Obj();
            elsewhere(x::decref); // released elsewhere: x waits for this thread to merge
            assertTrue(x.isAlive(), "x waits for its owner's merge");
            assertNull(ThreadState.current().fastPathThreadOpaque(), "the merge request cleared the key");
            y.incref(); // the owner's fast-path check sees the cleared key and polls
            assertFalse(x.isAlive(), "the merge ran at the owner's next runtime call, an incref of another object");
            y.decref();
            assertEquals(1, y.refCount());
            y.decref();
        });
    }

    @Test
    void theOwnersMonitorEntryAnswersAMergeRequest() throws Exception {
        Counter c = Monitor.of(new Counter());
        onOwnThread(() -> {
            assertEquals(1, c.add(1)); // the stack is in the by-thread table
            Obj x = new Obj();
            elsewhere(x::decref);
            assertTrue(x.isAlive(), "x waits for its owner's merge");
            assertEquals(2, c.add(1)); // the entry's one compare sees the cleared key and polls
            assertFalse(x.isAlive(), "the merge ran at the owner's next runtime call, a monitor entry");
            assertSame(Thread.currentThread(), ThreadState.current().fastPathThreadOpaque(), "key restored");
        });
    }
}
