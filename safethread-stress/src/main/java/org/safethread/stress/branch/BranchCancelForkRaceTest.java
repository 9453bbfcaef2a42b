package org.safethread.stress.branch;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.Branch;
import org.safethread.stress.support.Spin;

/**
 * Protocol: {@code BranchCore.cancel} racing {@code BranchCore.fork} (the cancelled flag written
 * and the children snapshotted under the branch's lock, the child registered under it only if
 * not cancelled; the child's first read of the flag when its thread starts; the interrupt).
 *
 * <p>Actor 1 opens a branch, publishes it, forks one child and joins; actor 2 cancels the branch
 * as soon as it is published, racing the fork. The child's task counts that it ran, then returns.
 * r1: the child's state after join (ordinals: 1 SUCCEEDED, 3 CANCELLED). r2: its task ran (1).
 * r3: its thread started running (1). r4: join threw (1).
 * <ul>
 *   <li>{@code 1, 1, 1, 0}: the fork won; the task ran and returned (ACCEPTABLE).</li>
 *   <li>{@code 3, 0, 0, 0}: the cancel won before the fork: a CANCELLED child, no thread started
 *       (ACCEPTABLE_INTERESTING).</li>
 *   <li>{@code 3, 0, 1, 0}: the child was registered, then the branch cancelled before the task
 *       started: the thread saw the flag and did not run it (ACCEPTABLE_INTERESTING).</li>
 *   <li>Anything else (FORBIDDEN): a task that ran without its child SUCCEEDING, a SUCCEEDED
 *       child whose task never ran, a RUNNING child after join, a join that threw.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "fork won: the task ran")
@Outcome(id = "3, 0, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "cancel won: CANCELLED child, no thread started")
@Outcome(id = "3, 0, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "cancelled after registration: thread skipped the task")
@Outcome(expect = FORBIDDEN, desc = "inconsistent child state, or join threw")
@State
public class BranchCancelForkRaceTest {
    final AtomicReference<Branch> published = new AtomicReference<>();
    final AtomicInteger ran = new AtomicInteger();
    final AtomicInteger started = new AtomicInteger();

    @Actor
    public void owner(IIII_Result r) {
        AtomicInteger ran = this.ran;
        AtomicInteger started = this.started;
        ThreadFactory counting = task -> {
            Thread t = new Thread(() -> {
                started.incrementAndGet();
                task.run();
            });
            t.setDaemon(true);
            return t;
        };
        try (Branch b = Branch.open(counting)) {
            published.set(b);
            Branch.Child<Integer> c = b.fork(() -> {
                ran.incrementAndGet();
                return 1;
            });
            try {
                b.join();
                r.r4 = 0;
            } catch (Throwable t) {
                r.r4 = 1;
            }
            r.r1 = c.state().ordinal();
            r.r2 = ran.get();
            r.r3 = started.get();
        }
    }

    @Actor
    public void canceller() {
        if (Spin.until(() -> published.get() != null, Spin.PARTNER_NANOS)) {
            published.get().cancel();
        }
    }
}
