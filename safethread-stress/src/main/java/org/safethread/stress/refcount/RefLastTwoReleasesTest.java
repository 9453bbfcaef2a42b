package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.DeathQueue;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: biased counting's meeting point ({@code RefCounts}: the owner's plain fast-path
 * decrement vs a non-owner's CAS on the shared word that drives {@code refs} negative, sets
 * QUEUED and pushes the object on the owner's {@code MergeQueue} with a REQ_MERGE request;
 * {@code Merges.merge} at the owner's next safe point).
 *
 * <p>The state constructor's thread (the owner, see {@link Owner}) creates X and takes a second
 * reference, so its plain count holds 2: the last two references. Each actor releases one of
 * them at the same time — in later generations one actor is the owner and the other is not; in
 * the first generation neither is (the harness thread owns X). Each actor first checks that X is
 * alive (it still holds a reference). The arbiter, when it runs on the owner, passes a safe
 * point, which must merge any release queued on the owner's behalf. r1/r2 = actor 1/2
 * (1 released, 0 found X dead before releasing, 2 decref threw), r3 = death notices
 * (+10 if X is still alive), r4 = the owner's role (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 1, 1, 1, 1} / {@code 1, 1, 1, 2}: X died exactly once, after both releases
 *       (ACCEPTABLE).</li>
 *   <li>{@code 1, 1, 10, 0}: harness-owned: both releases were non-owner releases queued for an
 *       owner that is outside the runtime, so X waits for it (the contract's "until it comes
 *       back") (ACCEPTABLE). {@code 1, 1, 1, 0}: the same, after the owner passed a safe point
 *       (jcstress's sanity and resource-estimation passes run the arbiter on the harness thread,
 *       see {@link Owner}) (ACCEPTABLE).</li>
 *   <li>a {@code 0} or {@code 2} in r1/r2: death before the last release (FORBIDDEN);
 *       {@code 10} with an actor owner: a death was lost; {@code 2} or more notices, or dead
 *       without a notice: death processed twice or not at all (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"1, 1, 1, 1", "1, 1, 1, 2"}, expect = ACCEPTABLE, desc = "died exactly once, after both releases")
@Outcome(id = {"1, 1, 10, 0", "1, 1, 1, 0"}, expect = ACCEPTABLE,
        desc = "harness-owned: death waits for (or came at) the owner's next runtime call")
@Outcome(expect = FORBIDDEN, desc = "early death, lost death, or death processed twice")
@State
public class RefLastTwoReleasesTest {
    final Owner owner = new Owner();
    final Tracked x = new Tracked();
    final DeathQueue<Integer> deaths = new DeathQueue<>();

    public RefLastTwoReleasesTest() {
        x.incref();
        deaths.watch(x, 1);
    }

    private int release() {
        if (!x.isAlive()) {
            return 0;
        }
        try {
            x.decref();
            return 1;
        } catch (IllegalStateException e) {
            return 2;
        }
    }

    @Actor
    public void actor1(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        r.r1 = release();
    }

    @Actor
    public void actor2(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        r.r2 = release();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        owner.pollIfCurrent();
        r.r3 = Deaths.drain(deaths) + (x.isAlive() ? 10 : 0);
    }
}
