package org.safethread.stress.branch;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.safethread.Branch;
import org.safethread.SafeThread;
import org.safethread.stress.support.Spin;

/**
 * Protocol: {@code Reinterrupter.watch} (a cancelled branch added to {@code WATCHED}, then the
 * canceller's slot read and the canceller unparked or started) racing {@code SafeThread.shutdown}
 * stopping the canceller ({@code RuntimeThreads.stopSlots}: the slot emptied; the stopped
 * canceller reads the slot, then {@code WATCHED}, and goes on serving while a branch is watched
 * and no fresh canceller was started: {@code Reinterrupter.mustDrain}).
 *
 * <p>Actor 1 owns a branch whose child sleeps and swallows the first interrupt; once the child
 * runs, actor 1 publishes the branch, cancels it (the first interrupt, and the watch) and joins:
 * only the canceller's repeated interrupt ends the child. Actor 2 calls
 * {@code SafeThread.shutdown(Duration.ZERO)} as soon as the branch is published, so the stop
 * lands before, during or after the watch. If no second interrupt comes within
 * {@value #STRANDED_MS} ms, the child gives up and returns: the branch was stranded. r1: the
 * child's state (ordinals: 3 CANCELLED; 1 SUCCEEDED means stranded; -1: join threw). r2: what
 * shutdown returned (1 true, 0 false; either is right: it did not wait).
 * <ul>
 *   <li>{@code 3, 0} and {@code 3, 1}: the second interrupt came, from the stopped canceller
 *       draining or from a fresh one (ACCEPTABLE).</li>
 *   <li>Anything else (FORBIDDEN): the branch was left without a canceller, or join threw.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"3, 0", "3, 1"}, expect = ACCEPTABLE, desc = "the canceller (draining or fresh) interrupted the child again")
@Outcome(expect = FORBIDDEN, desc = "the watched branch was left without a canceller, or join threw")
@State
public class BranchCancellerStopRaceTest {
    /** How long the child waits for the second interrupt (the canceller's period is 100 ms). */
    static final long STRANDED_MS = 3_000;

    final AtomicReference<Branch> published = new AtomicReference<>();

    @Actor
    public void owner(II_Result r) {
        AtomicBoolean running = new AtomicBoolean();
        try (Branch b = Branch.open()) {
            Branch.Child<Integer> child = b.fork(() -> {
                running.set(true);
                for (int interrupts = 0; ; ) {
                    try {
                        Thread.sleep(STRANDED_MS);
                        return 0; // no interrupt came for STRANDED_MS: stranded
                    } catch (InterruptedException e) {
                        if (++interrupts == 2) {
                            throw e;
                        }
                    }
                }
            });
            Spin.until(running::get, Spin.PARTNER_NANOS);
            published.set(b);
            b.cancel();
            b.join();
            r.r1 = child.state().ordinal();
        } catch (Throwable t) {
            r.r1 = -1;
        }
    }

    @Actor
    public void stopper(II_Result r) {
        Spin.until(() -> published.get() != null, Spin.PARTNER_NANOS);
        r.r2 = SafeThread.shutdown(Duration.ZERO) ? 1 : 0;
    }
}
