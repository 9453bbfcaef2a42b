package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.DeathQueue;
import org.safethread.internal.refcount.OwnerWork;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.Spin;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: unbiased creation ({@code RefCounts.constructed} on a thread that gave up its bias,
 * as pool workers do: the object is born MERGED with its one reference in the shared word, by
 * plain writes before publication) vs a release by another thread at once. Actor 1 creates X
 * unbiased, takes a second reference for actor 2, publishes X through a volatile field and
 * releases its own reference; actor 2 takes X as soon as it appears and releases the other. No
 * owner is involved, so X must die exactly once, after both releases, before the arbiter runs
 * (no waiting for any thread). r1/r2 = actor 1/2 (1 released, 0 found X dead before releasing,
 * 2 a count operation threw, 3 X never came), r3 = death notices (+10 if X is still alive).
 * <ul>
 *   <li>{@code 1, 1, 1}: died exactly once, after both releases (ACCEPTABLE).</li>
 *   <li>{@code 1, 3, 10}: actor 1 was more than 2 s late (jcstress sometimes runs the actors far
 *       apart), so actor 2 gave up and its reference was never released: X rightly stays alive
 *       (ACCEPTABLE_INTERESTING, as in {@link RefCellsRaceTest}).</li>
 *   <li>anything else: an early death (0/2), a death lost or waiting on an owner (10), or
 *       processed twice (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "died exactly once, after both releases")
@Outcome(id = "1, 3, 10", expect = ACCEPTABLE_INTERESTING, desc = "actor 1 was late; actor 2's reference was never released")
@Outcome(expect = FORBIDDEN, desc = "early death, lost or waiting death, or death processed twice")
@State
public class RefUnbiasedCreateReleaseTest {
    final DeathQueue<Integer> deaths = new DeathQueue<>();
    volatile Tracked published;
    /** Set by actor 1 once it has published X (so the arbiter can find it even if actor 2 missed it). */
    Tracked made;

    @Actor
    public void actor1(III_Result r) {
        OwnerWork.of(ThreadState.current()).giveUpBias();
        Tracked x = new Tracked();
        made = x;
        try {
            deaths.watch(x, 1);
            x.incref(); // actor 2's reference
            published = x;
            if (!x.isAlive()) {
                r.r1 = 0;
                return;
            }
            x.decref();
            r.r1 = 1;
        } catch (IllegalStateException e) {
            r.r1 = 2;
        }
    }

    @Actor
    public void actor2(III_Result r) {
        if (!Spin.until(() -> published != null, Spin.PARTNER_NANOS)) {
            r.r2 = 3;
            return;
        }
        Tracked x = published;
        try {
            if (!x.isAlive()) {
                r.r2 = 0;
                return;
            }
            x.decref();
            r.r2 = 1;
        } catch (IllegalStateException e) {
            r.r2 = 2;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        Tracked x = made;
        r.r3 = Deaths.drain(deaths) + (x != null && x.isAlive() ? 10 : 0);
    }
}
