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
 * Protocol: the bare-death path ({@code Deaths.die} for an object whose class has no {@code Ref}
 * fields and no finalizer core: after the DEAD CAS it reads the Extras field, and if there is
 * none the death is only counted) vs a death watch attached at the same moment by another thread
 * ({@code RefCounts.watch}: creates the Extras, adds the watch, then reads the word again). A
 * Dekker pair on (Extras field, count word): the killer writes the word and reads the field, the
 * watcher writes the field and reads the word, all volatile, so at least one sees the other and
 * the watch fires exactly once. The state constructor makes X unbiased (as a pool worker does:
 * born MERGED, no owner), so that its death needs no thread's cooperation; actor 1 releases X's
 * only reference (X dies inside that decref) while actor 2 watches it, both at once, so either
 * may come first. r1 = actor 1 (1 released, 2 a count operation threw), r2 = actor 2 (1 watched,
 * 2 the watch threw), r3 = death notices (+10 if X is still alive).
 * <ul>
 *   <li>{@code 1, 1, 1}: the watch fired exactly once, whichever came first (ACCEPTABLE).</li>
 *   <li>anything else: a lost or doubled notice, or X alive (FORBIDDEN).</li>
 * </ul>
 * Sensitivity: a bare-death path that skips the Extras check (counts and returns whenever the
 * class is bare) loses the notice whenever the watch lands first, and this test fails.
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "the watch fired exactly once")
@Outcome(expect = FORBIDDEN, desc = "a lost or doubled notice, or X alive")
@State
public class RefBareDeathVsWatchTest {
    final DeathQueue<Integer> deaths = new DeathQueue<>();
    final Bare x;

    public RefBareDeathVsWatchTest() {
        // Unbiased, as on a pool worker: X is born MERGED with its one reference in the shared
        // word, so actor 1's release kills it there, with no owner involved. (This thread's later
        // objects are unbiased too; jcstress runs one test class per JVM.)
        OwnerWork.of(ThreadState.current()).giveUpBias();
        x = new Bare();
    }

    @Actor
    public void actor1(III_Result r) {
        try {
            x.decref(); // the only reference: X dies here
            r.r1 = 1;
        } catch (IllegalStateException e) {
            r.r1 = 2;
        }
    }

    @Actor
    public void actor2(III_Result r) {
        try {
            deaths.watch(x, 1); // fires at once if X is dead already
            r.r2 = 1;
        } catch (RuntimeException e) {
            r.r2 = 2;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = Deaths.drain(deaths) + (x.isAlive() ? 10 : 0);
    }
}
