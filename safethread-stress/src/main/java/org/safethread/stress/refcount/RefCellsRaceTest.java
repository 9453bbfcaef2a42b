package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.DeathQueue;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.EndedOwner;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: per-thread cells ({@code Cell}: owner-thread CAS increments/decrements, FROZEN by
 * any thread under the Extras lock; {@code CellTable}: first touch remembers, second touch creates
 * a cell (pins + 1), collisions retire cells; {@code RefCounts.zeroCheck}: a MERGED object whose
 * refs reach 0 or below while cells exist freezes and folds every cell before deciding;
 * {@code retireCell}) together with the merge of an owner's count by whichever thread can hold
 * the owner ({@code Merges.queue -> tryHold}).
 *
 * <p>Two non-owners work on the same X concurrently while a third party releases: X comes from a
 * thread that has ended ({@link EndedOwner}) with two references in its plain count, one handed to
 * each actor. jcstress cannot run a third actor on two CPUs, so the third party is that ended
 * owner: its count is released by being merged — by the first actor whose release drives the
 * shared count negative (it holds the ended owner and merges at once), or by the housekeeper if
 * the owner is held by someone else at that moment — concurrently with the other actor's cell
 * traffic. Each actor takes three references of its own (the first goes to the shared word, the
 * next ones into its freshly created cell), checks X is alive, releases those three, then
 * releases the reference it was handed. X must stay alive while anyone holds a reference and die
 * exactly once after the last release (the arbiter waits up to 2 s for the notice, as a helper
 * may merge a few ms later). r1/r2 = actor 1/2 (1 done, 0 found X dead while holding a reference,
 * 2 a count operation threw), r3 = death notices (+10 if X is still alive).
 * <ul>
 *   <li>{@code 1, 1, 1}: alive throughout, died exactly once (ACCEPTABLE).</li>
 *   <li>anything else: early death, a death lost to a cell that hid a count, or two deaths
 *       (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "alive while referenced; died exactly once")
@Outcome(expect = FORBIDDEN, desc = "early death, lost death, or death processed twice")
@State
public class RefCellsRaceTest {
    /** Objects whose (ended) owner holds two references: one for each actor. */
    private static final EndedOwner<Tracked> SOURCE = new EndedOwner<>(() -> {
        Tracked t = new Tracked();
        t.incref();
        return t;
    });

    final Tracked x = SOURCE.take();
    final DeathQueue<Integer> deaths = new DeathQueue<>();

    public RefCellsRaceTest() {
        deaths.watch(x, 1);
    }

    private int work() {
        try {
            if (!x.isAlive()) {
                return 0;
            }
            x.incref(); // first touch by this thread: remembered, counted in the shared word
            x.incref(); // second touch: a cell is created holding this reference
            x.incref(); // cell
            if (!x.isAlive()) {
                return 0;
            }
            x.decref(); // cell
            x.decref(); // cell reaches 0
            x.decref(); // cell empty: shared word
            x.decref(); // the reference handed to this actor
            return 1;
        } catch (IllegalStateException e) {
            return 2;
        }
    }

    @Actor
    public void actor1(III_Result r) {
        r.r1 = work();
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = work();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = Deaths.await(deaths, Duration.ofSeconds(2)) + (x.isAlive() ? 10 : 0);
    }
}
