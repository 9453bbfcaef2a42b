package org.safethread.stress.finalizer;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
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
 * Protocol: a death watch's single state word ({@code Watch}: WATCHING -> FIRED by death
 * processing, which then delivers the notice, or WATCHING -> CANCELLED by
 * {@code DeathQueue.cancel}; exactly one CAS wins) and {@code Extras.onDeath} firing the watches.
 *
 * <p>X is watched by a {@link DeathQueue}; actor 2 releases X's only reference (X dies at once
 * when actor 2 owns it — the interesting race — else at the owner's next safe point) while actor
 * 1 cancels the watch. Exactly one of "cancel returned true" and "a notice was delivered" must
 * hold. r1 = cancel's result (1 true), r2 = notices delivered, r3 = 1 if X is still alive at the
 * arbiter (after its safe point on the owner), r4 = owner role (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 1, 0, 0, _}: cancelled first, X died silently (ACCEPTABLE).</li>
 *   <li>{@code 0, 1, 0, _}: delivered first, cancel returned false (ACCEPTABLE_INTERESTING).</li>
 *   <li>{@code 1, 0, 1, 0}: harness-owned: X's death waits for the harness thread; the watch was
 *       cancelled (ACCEPTABLE).</li>
 *   <li>{@code 1, 1, ...} (cancelled and delivered), {@code 0, 0, ...} (neither), more than one
 *       notice, or X alive with an actor owner (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 0, 0, [012]", expect = ACCEPTABLE, desc = "cancelled before death: no notice")
@Outcome(id = "0, 1, 0, [012]", expect = ACCEPTABLE_INTERESTING, desc = "delivered before cancel: cancel returned false")
@Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "harness-owned: death deferred; cancelled")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both cancelled and delivered")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "neither cancelled nor delivered")
@Outcome(expect = FORBIDDEN, desc = "duplicate notice, or a death lost")
@State
public class DeathQueueCancelRaceTest {
    final Owner owner = new Owner();
    final Tracked x = new Tracked();
    final DeathQueue<Integer> deaths = new DeathQueue<>();
    final DeathQueue.Handle handle = deaths.watch(x, 1);

    @Actor
    public void canceller(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        r.r1 = deaths.cancel(handle) ? 1 : 0;
    }

    @Actor
    public void releaser(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        try {
            x.decref();
        } catch (IllegalStateException e) {
            r.r2 = 100;
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        owner.pollIfCurrent();
        r.r2 += Deaths.drain(deaths);
        r.r3 = x.isAlive() ? 1 : 0;
    }
}
