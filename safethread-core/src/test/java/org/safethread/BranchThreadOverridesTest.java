package org.safethread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code ThreadFactory} may return a {@code Thread} subclass whose {@code interrupt()} is user
 * code (the classic socket-closing override) and throws. Cancellation calls it on the owner's
 * thread, a failing child's thread and the canceller: it must be contained there, or a cancel
 * stops half way (siblings never interrupted, nested branches never cancelled) and a failing
 * child is never counted ended, so its owner's join waits for ever.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BranchThreadOverridesTest {
    /** A thread whose interrupt() does interrupt, then throws. */
    static final class ThrowingInterrupt extends Thread {
        ThrowingInterrupt(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }

        @Override
        public void interrupt() {
            super.interrupt();
            throw new IllegalStateException("interrupt() refused by " + getName());
        }
    }

    /** Makes the first thread a {@link ThrowingInterrupt}, the rest plain. */
    static final class FirstThrows implements ThreadFactory {
        final AtomicInteger made = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>();

        @Override
        public synchronized Thread newThread(Runnable r) {
            int n = made.incrementAndGet();
            Thread t = n == 1 ? new ThrowingInterrupt(r, "throwing-" + n) : new Thread(r, "plain-" + n);
            t.setDaemon(true);
            threads.add(t);
            return t;
        }
    }

    @Test
    void aFailingChildEndsAndCancelsEverySiblingWhenOneInterruptThrows() throws Exception {
        FirstThrows f = new FirstThrows();
        Branch.Child<Void> bad;
        Branch.Child<Void> plain;
        try (Branch b = Branch.open(f)) {
            bad = b.fork(BranchTesting::sleepLong);   // its thread's interrupt() throws
            plain = b.fork(BranchTesting::sleepLong); // after it in the cancel's loop
            b.fork(() -> {
                Thread.sleep(100);
                throw new ArithmeticException("boom");
            });
            ArithmeticException thrown = assertThrows(ArithmeticException.class, b::join, "join rethrows the one failure");
            assertEquals("boom", thrown.getMessage());
        }
        assertEquals(Branch.Child.State.CANCELLED, bad.state());
        assertEquals(Branch.Child.State.CANCELLED, plain.state());
        assertFalse(BranchTesting.anyAlive(f.threads), "no child thread outlives join");
    }

    @Test
    void cancelByTheOwnerDoesNotThrowAndReachesEveryChild() throws Exception {
        FirstThrows f = new FirstThrows();
        Branch.Child<Void> bad;
        Branch.Child<Void> plain;
        try (Branch b = Branch.open(f)) {
            bad = b.fork(BranchTesting::sleepLong);
            plain = b.fork(BranchTesting::sleepLong);
            Thread.sleep(100);
            b.cancel(); // threw the override's exception, and never interrupted the second child
            assertTrue(b.isCancelled());
            b.join();
        }
        assertEquals(Branch.Child.State.CANCELLED, bad.state());
        assertEquals(Branch.Child.State.CANCELLED, plain.state());
        assertFalse(BranchTesting.anyAlive(f.threads));
    }
}
