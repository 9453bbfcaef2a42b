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
import org.safethread.internal.runtime.ThreadState;
import org.safethread.stress.support.Bare;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.Spin;

/**
 * Protocol: the bare-death path ({@code Deaths.die} for an object whose class has no {@code Ref}
 * fields and no finalizer core: after the DEAD CAS it reads the Extras field, and if there is
 * none the death is only counted) vs a death watch attached at the same moment by another thread
 * ({@code RefCounts.watch}: creates the Extras, adds the watch, then reads the word again). A
 * Dekker pair on (Extras field, count word): the killer writes the word and reads the field, the
 * watcher writes the field and reads the word, all volatile, so at least one sees the other and
 * the watch fires exactly once. Actor 1 creates X unbiased (as a pool worker does), publishes it
 * and releases its only reference (X dies inside that decref); actor 2 watches X as soon as it
 * appears. r1 = actor 1 (1 released, 2 a count operation threw), r2 = actor 2 (1 watched, 3 X
 * never came), r3 = death notices (+10 if X is still alive).
 * <ul>
 *   <li>{@code 1, 1, 1}: the watch fired exactly once, whichever came first (ACCEPTABLE).</li>
 *   <li>{@code 1, 3, 0}: actor 1 was more than 2 s late, so actor 2 gave up without watching: X
 *       died unwatched (ACCEPTABLE_INTERESTING).</li>
 *   <li>anything else: a lost or doubled notice, or X alive (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "the watch fired exactly once")
@Outcome(id = "1, 3, 0", expect = ACCEPTABLE_INTERESTING, desc = "actor 1 was late; actor 2 never watched")
@Outcome(expect = FORBIDDEN, desc = "a lost or doubled notice, or X alive")
@State
public class RefBareDeathVsWatchTest {
    final DeathQueue<Integer> deaths = new DeathQueue<>();
    volatile Bare published;
    /** Set by actor 1 (so the arbiter can find X even if actor 2 missed it). */
    Bare made;

    @Actor
    public void actor1(III_Result r) {
        ThreadState.current().refs.giveUpBias();
        Bare x = new Bare();
        made = x;
        published = x;
        try {
            x.decref(); // the only reference: X dies here
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
        deaths.watch(published, 1); // fires at once if X is dead already
        r.r2 = 1;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        Bare x = made;
        r.r3 = Deaths.drain(deaths) + (x != null && x.isAlive() ? 10 : 0);
    }
}
