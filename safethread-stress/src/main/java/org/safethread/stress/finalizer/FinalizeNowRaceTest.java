package org.safethread.stress.finalizer;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.SafeThread;
import org.safethread.stress.support.Finalizable;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Rendezvous;

/**
 * Protocol: the exactly-once claim on a finalizer core ({@code Extras.claimFinalization}: a CAS
 * ARMED -> CLAIMED won either by {@code SafeThread.finalizeNow}, which then runs the core in the
 * caller, or by death processing ({@code Deaths.finish}), which then queues it for the finalizer
 * thread).
 *
 * <p>X (with a core counting its runs) has one reference, released by actor 2 — its last, so X
 * dies (at once when actor 2 owns X; at the owner's next safe point otherwise) and the automatic
 * run is queued. Actor 1 calls {@code finalizeNow(X)} at the same time. The arbiter passes a safe
 * point on the owner and waits up to 10 s for all queued finalizers. r1 = finalizeNow's result
 * (1 ran the core, 0 found it claimed), r2 = actor 2 (1 released, 2 threw), r3 = the core's runs,
 * r4 = owner role (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 1, 1, 1, _}: finalizeNow won; the automatic run was cancelled (ACCEPTABLE).</li>
 *   <li>{@code 0, 1, 1, _}: the automatic run won (it ran on the finalizer thread); finalizeNow
 *       reported false (ACCEPTABLE_INTERESTING).</li>
 *   <li>r3 = 0 (never ran: a claim lost, or finalizeNow said it had run when it had not) or 2
 *       (ran twice) (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 1, [012]", expect = ACCEPTABLE, desc = "finalizeNow ran the core; the automatic run was cancelled")
@Outcome(id = "0, 1, 1, [012]", expect = ACCEPTABLE_INTERESTING, desc = "the automatic run won; finalizeNow returned false")
@Outcome(expect = FORBIDDEN, desc = "the core ran 0 or 2 times (or a count operation failed)")
@State
public class FinalizeNowRaceTest {
    final Owner owner = new Owner();
    final Finalizable x = new Finalizable();
    /** finalizeNow costs far more than a decref: meet first, so that the two claims overlap. */
    final Rendezvous meet = new Rendezvous();

    @Actor
    public void finalizer(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        meet.arriveAndAwait();
        r.r1 = SafeThread.finalizeNow(x) ? 1 : 0;
    }

    @Actor
    public void releaser(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        meet.arriveAndAwait();
        try {
            x.decref();
            r.r2 = 1;
        } catch (IllegalStateException e) {
            r.r2 = 2;
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        owner.pollIfCurrent();
        if (r.r1 == 0 || !x.isAlive()) {
            SafeThread.awaitFinalizers(Duration.ofSeconds(10));
        }
        r.r3 = x.core.runs.get();
    }
}
