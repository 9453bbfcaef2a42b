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
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.EndedOwner;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: per-thread cells ({@code Cell}: the cell's thread adds and subtracts by CAS, any
 * thread may freeze it by CAS under the Extras lock; {@code CellTable}: first touch remembers,
 * second touch creates a cell (pins + 1), a frozen cell sends the thread back to the shared word
 * and a later touch creates a fresh cell; a release beyond what the cell holds goes to the shared
 * word) with {@code Merges.merge} (folds the owner's plain count and freezes and folds every cell)
 * and {@code RefCounts.zeroCheck} (a MERGED object whose refs reach 0 or below while cells exist
 * freezes and folds every cell before deciding death).
 *
 * <p>Two non-owners work on the same X while a third party releases. jcstress cannot schedule a
 * third actor on two CPUs, so the third party is X's owner, a thread that has already ended
 * ({@link EndedOwner}): its plain count (3 references: one handed to each actor and a third one
 * handed to actor 2) is folded into the shared word by whichever thread first drives the shared
 * count negative — it holds the ended owner and merges, freezing the other actor's live cell —
 * or by the housekeeper. References also move between the actors, which is what makes cells
 * matter: actor 1 takes three references (the first counted in the shared word, the next two in
 * its new cell) and hands two of them to actor 2, keeps churning its cell, and releases the rest
 * through the cell; actor 2 takes and drops one of its own, then releases the two it was given,
 * its own and the third party's — all through the shared word, while actor 1's cell may still
 * count the references it gave away. So the shared count reaches zero or below while a cell holds
 * references: only the merge's and zeroCheck's folding of cells keeps X alive. Each actor checks X
 * is alive whenever it holds a reference; X must die exactly once after the last release (the
 * arbiter waits up to 2 s for the notice: a helper may merge a few ms late). Here the merge of
 * the owner's count races the cells (it freezes the giver's live cell); {@link
 * RefCellsMergedRaceTest} starts from a merged X, where the cells meet {@code zeroCheck}. r1/r2 = actor 1/2
 * (1 done, 0 found X dead while holding a reference, 2 a count operation threw, 3 actor 2 waited
 * 2 s for actor 1's references in vain), r3 = death notices (+10 if X is still alive).
 * <ul>
 *   <li>{@code 1, 1, 1}: alive while referenced; died exactly once (ACCEPTABLE).</li>
 *   <li>{@code 1, 3, 10}: the giver was more than 2 s late; its two references were never
 *       released, so X stays alive (ACCEPTABLE_INTERESTING).</li>
 *   <li>anything else: early death (a cell's references were not counted), a lost death (a cell
 *       hid the last release), or two deaths (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "alive while referenced; died exactly once")
@Outcome(id = "1, 3, 10", expect = ACCEPTABLE_INTERESTING, desc = "giver was late; its gift was never released")
@Outcome(expect = FORBIDDEN, desc = "early death, lost death, or death processed twice")
@State
public class RefCellsRaceTest extends CellsRace {
    /** Objects whose (ended) owner holds three references: actor 1's, actor 2's, the third party's. */
    private static final EndedOwner<Tracked> SOURCE = new EndedOwner<>(() -> {
        Tracked t = new Tracked();
        t.incref();
        t.incref();
        return t;
    });

    public RefCellsRaceTest() {
        super(SOURCE.take());
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
