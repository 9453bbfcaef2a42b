package org.safethread.stress.branch;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.Branch;
import org.safethread.Shareable;
import org.safethread.stress.support.Spin;

/**
 * Protocol: a child's ending racing its owner's join ({@code ChildRun.end} -> {@code
 * BranchCore.childEnded}: state write, fail-fast cancel, {@code live} decrement and unpark;
 * {@code BranchCore.join} -> {@code awaitChildren}: the graph wait on {@code live == 0}, then
 * {@code Thread.join} of every child, then the report).
 *
 * <p>Actor 1 owns a branch with two children: a sibling blocked on a latch (forked first) and a
 * child that fails as soon as actor 2 says go; actor 1 joins at once, so the failure lands before,
 * during or after the owner registers its wait. r1: join threw the child's very exception (1),
 * returned (0), threw something else (2). r2, r3: the failing child's and the sibling's final
 * states (ordinals: 2 FAILED, 3 CANCELLED). r4: 1 if a child thread was still alive after join.
 * <ul>
 *   <li>{@code 1, 2, 3, 0}: the failure reported as the same object, the sibling cancelled by
 *       fail fast, no child thread alive (ACCEPTABLE).</li>
 *   <li>Anything else (FORBIDDEN): a lost wake-up (the owner would hang and the fork time out), a
 *       lost or wrapped failure, a sibling not cancelled, a child thread alive after join.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 2, 3, 0", expect = ACCEPTABLE, desc = "the failure rethrown, the sibling cancelled, no child alive")
@Outcome(expect = FORBIDDEN, desc = "lost, wrapped or late report, sibling not cancelled, or a child alive after join")
@State
public class BranchFailureJoinRaceTest {
    final AtomicBoolean go = new AtomicBoolean();
    final AtomicReference<Throwable> thrown = new AtomicReference<>();
    final ThreadsSeen threads = new ThreadsSeen();

    /**
     * The children's threads as they record themselves. A concurrent queue is shareable only while
     * what it holds is, and threads are not, so this one vouches for itself: the test reads it only
     * after join.
     */
    @Shareable
    static final class ThreadsSeen extends ConcurrentLinkedQueue<Thread> {
        private static final long serialVersionUID = 1L;
    }

    @Actor
    public void owner(IIII_Result r) {
        AtomicBoolean go = this.go;
        AtomicReference<Throwable> thrown = this.thrown;
        ThreadsSeen threads = this.threads;
        try (Branch b = Branch.open()) {
            Branch.Child<Void> sibling = b.fork(() -> {
                threads.add(Thread.currentThread());
                new CountDownLatch(1).await();
                return null;
            });
            Branch.Child<Void> failing = b.fork(() -> {
                threads.add(Thread.currentThread());
                Spin.until(go::get, Spin.PARTNER_NANOS);
                IllegalStateException e = new IllegalStateException("child failure");
                thrown.set(e);
                throw e;
            });
            try {
                b.join();
                r.r1 = 0;
            } catch (Throwable t) {
                r.r1 = t == thrown.get() ? 1 : 2;
            }
            r.r2 = failing.state().ordinal();
            r.r3 = sibling.state().ordinal();
            int alive = 0;
            for (Thread t : threads) {
                alive |= t.isAlive() ? 1 : 0;
            }
            r.r4 = alive;
        }
    }

    @Actor
    public void failer() {
        go.set(true);
    }
}
