package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.internal.refcount.CountFields;
import org.safethread.internal.refcount.CountWord;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.EndedOwner;
import org.safethread.stress.support.Spin;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: per-thread cells on a MERGED object against {@code RefCounts.zeroCheck} (whoever sees
 * a merged object's refs at or below zero while cells exist freezes every cell under the Extras
 * lock and folds it in before deciding death) and {@code sharedRelease}'s "refs 0, no pins:
 * CAS to DEAD"; {@code Cell.freeze} racing the cell thread's own CAS increments and decrements.
 *
 * <p>The same two actors as {@link RefCellsRaceTest}, but X was merged before the race (its
 * ended owner's count is already in the shared word), so the giver's new cell is created on a
 * merged object. The giver gives away two references its cell counts; when the taker has released
 * them and everything else it holds through the shared word, refs can reach exactly 0 while the
 * giver still holds two references, both counted in its cell (counts are fungible: its
 * first-touch reference in the shared word paid for one of the gifts): only zeroCheck's folding of
 * the cell keeps X alive. A zeroCheck that ignored cells would kill X under the giver. r1/r2 = giver/taker codes as in
 * {@link CellsRace}, r3 = death notices (+10 if X is still alive).
 * <ul>
 *   <li>{@code 1, 1, 1}: alive while referenced; died exactly once (ACCEPTABLE).</li>
 *   <li>{@code 1, 3, 10}: the giver was more than 2 s late (ACCEPTABLE_INTERESTING).</li>
 *   <li>anything else (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "alive while referenced; died exactly once")
@Outcome(id = "1, 3, 10", expect = ACCEPTABLE_INTERESTING, desc = "giver was late; its gift was never released")
@Outcome(expect = FORBIDDEN, desc = "early death, lost death, or death processed twice")
@State
public class RefCellsMergedRaceTest extends CellsRace {
    /** Four references in the ended owner's count: giver's, taker's, third party's, one to merge with. */
    private static final EndedOwner<Tracked> SOURCE = new EndedOwner<>(() -> {
        Tracked t = new Tracked();
        t.incref();
        t.incref();
        t.incref();
        return t;
    });
    private static final long MERGE_NANOS = 1_000_000_000L;

    public RefCellsMergedRaceTest() {
        super(SOURCE.take());
        // A non-owner release drives the shared count negative: the ended owner is held and X
        // merged (here, or by the housekeeper a moment later).
        x.decref();
        Spin.until(() -> CountWord.isMerged(CountFields.wordVolatile(x)), MERGE_NANOS);
    }

    @Actor
    public void giver(III_Result r) {
        r.r1 = give();
    }

    @Actor
    public void taker(III_Result r) {
        r.r2 = take();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = Deaths.await(deaths, Duration.ofSeconds(r.r2 == 3 ? 0 : 2)) + (x.isAlive() ? 10 : 0);
    }
}
