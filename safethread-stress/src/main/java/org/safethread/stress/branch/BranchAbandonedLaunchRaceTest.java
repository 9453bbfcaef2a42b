package org.safethread.stress.branch;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.Branch;
import org.safethread.stress.support.Spin;

/**
 * Protocol: a child's launch ({@code ChildRun.launch}: set to the thread by the owner before
 * {@code start}, taken by that thread by a CAS first thing in {@code run}) racing the owner's
 * check for a thread that ended without taking it ({@code ChildRun.claimAbandoned}:
 * {@code isAlive()} first, then a CAS of the launch; {@code BranchCore.scanLaunches} and
 * {@code endAbandoned} in the join's wait, which re-checks every 100 ms while a launch is
 * pending), with a cancellation racing both.
 *
 * <p>Actor 1 opens a branch whose factory makes a proper thread for the first child and, for
 * the second, a thread that ignores its runnable and ends at once; it forks a child that returns
 * at once (its thread takes its launch, runs and ends around the moment the owner starts to
 * look), then the second, publishes the branch and joins. Actor 2 cancels the branch as soon as
 * it is published, racing the proper child's launch and the join's checks.
 * r1: the proper child's state (ordinals: 1 SUCCEEDED, 3 CANCELLED). r2: the abandoned child's
 * state (2 FAILED). r3: 1 if its failure is the {@code IllegalStateException} saying its thread
 * ended without running the task. r4: 1 if join threw exactly that failure.
 * <ul>
 *   <li>{@code 1, 2, 1, 1}: the proper child ran; the abandoned one is reported (ACCEPTABLE).</li>
 *   <li>{@code 3, 2, 1, 1}: the cancel (or the abandoned child's fail fast) came before the
 *       proper child's task started (ACCEPTABLE_INTERESTING).</li>
 *   <li>Anything else (FORBIDDEN): a child that ran reported as abandoned (FAILED), an abandoned
 *       child reported otherwise (a hang shows as the fork timing out), a wrong report.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 2, 1, 1", expect = ACCEPTABLE, desc = "the proper child ran; the abandoned one reported")
@Outcome(id = "3, 2, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "cancelled before the proper child's task started")
@Outcome(expect = FORBIDDEN, desc = "a child that ran taken for abandoned, or an abandoned one not reported as such")
@State
public class BranchAbandonedLaunchRaceTest {
    final AtomicReference<Branch> published = new AtomicReference<>();
    /** Threads the factory made; only the owner actor uses it. */
    int made;

    @Actor
    public void owner(IIII_Result r) {
        ThreadFactory halfBroken = task -> {
            Thread t = made++ == 0 ? new Thread(task) : new Thread(() -> { }); // the second ignores its task
            t.setDaemon(true);
            return t;
        };
        try (Branch b = Branch.open(halfBroken)) {
            Branch.Child<Integer> proper = b.fork(() -> 1);
            Branch.Child<Integer> abandoned = b.fork(() -> 2);
            published.set(b); // after the forks: the cancel races the launches and the join's checks
            Throwable thrown = null;
            try {
                b.join();
            } catch (Throwable t) {
                thrown = t;
            }
            r.r1 = proper.state().ordinal();
            r.r2 = abandoned.state().ordinal();
            Throwable f = abandoned.failure();
            r.r3 = f instanceof IllegalStateException && String.valueOf(f.getMessage()).contains("ended without running the task")
                    ? 1 : 0;
            r.r4 = thrown != null && thrown == f ? 1 : 0;
        }
    }

    @Actor
    public void canceller() {
        if (Spin.until(() -> published.get() != null, Spin.PARTNER_NANOS)) {
            published.get().cancel();
        }
    }
}
