package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
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
import org.safethread.stress.support.Bare;
import org.safethread.stress.support.Deaths;

/**
 * Protocol: the release of an object without owner ({@code UnownedRelease}: decided from the
 * word alone, the calling thread found by thread id instead of its ThreadLocal) by two threads at
 * once, each releasing one of the last two references. The state constructor makes X unbiased (as
 * a pool worker does: born MERGED and BARE, no owner), takes a second reference (counted in the
 * shared word: the constructor thread's first touch makes no cell) and watches X (so X has
 * Extras: its death must take the full path and queue exactly one notice). Both actors' CASes
 * start from a pin-less MERGED word, so exactly one of them takes the count to zero and sets DEAD;
 * the other either finds the count at 2 and leaves 1, or fails its CAS and re-reads. r1/r2 =
 * actor 1/2 (1 released, 2 a count operation threw), r3 = death notices (+10 if X is alive).
 * <ul>
 *   <li>{@code 1, 1, 1}: both released, X died exactly once, its watch fired once (ACCEPTABLE).</li>
 *   <li>anything else: a release refused (the count lost a reference), X alive, or the death
 *       processed twice or not at all (FORBIDDEN).</li>
 * </ul>
 * Sensitivity: a release that decided death from a stale word (a plain read, or a decrement
 * without the CAS) would kill X at the first release or never; a death that skipped the Extras
 * check would lose the notice.
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "both released; X died exactly once, its watch fired once")
@Outcome(expect = FORBIDDEN, desc = "a release refused, X alive, or its death lost or doubled")
@State
public class RefUnownedLastReleasesTest {
    final DeathQueue<Integer> deaths = new DeathQueue<>();
    final Bare x;

    public RefUnownedLastReleasesTest() {
        // Unbiased, as on a pool worker (this thread's later objects are unbiased too).
        OwnerWork.of(ThreadState.current()).giveUpBias();
        x = new Bare();
        x.incref();
        deaths.watch(x, 1);
    }

    @Actor
    public void actor1(III_Result r) {
        try {
            x.decref();
            r.r1 = 1;
        } catch (IllegalStateException e) {
            r.r1 = 2;
        }
    }

    @Actor
    public void actor2(III_Result r) {
        try {
            x.decref();
            r.r2 = 1;
        } catch (IllegalStateException e) {
            r.r2 = 2;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = Deaths.drain(deaths) + (x.isAlive() ? 10 : 0);
    }
}
