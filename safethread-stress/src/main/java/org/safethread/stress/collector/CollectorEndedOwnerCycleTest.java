package org.safethread.stress.collector;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.DeathQueue;
import org.safethread.SafeThread;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.EndedOwner;
import org.safethread.stress.support.Spin;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: the collector reading the counts of an owner that has ended (RUNTIME-NOTES: a
 * terminated owner's counts are readable — {@code Thread.isAlive()} false gives the
 * happens-before edge; {@code ThreadState.tryHold} from ATTACHED/TERMINATED; the collector holds
 * every registered thread it can, and {@code Snapshot.readable} accepts objects whose owner it
 * holds) racing the last external release of a cycle.
 *
 * <p>A thread built X &lt;-&gt; Y and ended; X's creation reference was handed to actor 2. Actor 2
 * checks the cycle is intact and releases X (a non-owner release: it drives X's shared count
 * negative, holds the ended owner and merges X; Y stays in the ended owner's plain count) while
 * actor 1 runs a collection. The arbiter then runs a collection: the cycle is garbage, every
 * count it depends on is readable (merged, or owned by a thread that has ended), so it must die
 * — each member exactly once. r1 = actor 2 (1 released an intact cycle, 0 the cycle was dead or
 * cleared while referenced, 2 decref threw), r2 = 100 + 10 * X's death notices + Y's, r3 = 1
 * (actor 1's collection ran; 2 it threw).
 * <ul>
 *   <li>{@code 1, 111, 1}: intact while referenced, collected once (ACCEPTABLE).</li>
 *   <li>{@code 1, 100, 1}: the arbiter's collection left the garbage cycle alive (FORBIDDEN: a
 *       collection must find every garbage group whose counts are readable).</li>
 *   <li>r1 != 1: early death (FORBIDDEN). Other r2: a member killed twice or alone
 *       (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 111, 1", expect = ACCEPTABLE, desc = "intact while referenced; each member collected once")
@Outcome(id = "1, 100, 1", expect = FORBIDDEN, desc = "garbage cycle of an ended owner not collected by an explicit collection")
@Outcome(expect = FORBIDDEN, desc = "early death, or a member killed twice or alone")
@State
public class CollectorEndedOwnerCycleTest {
    /** X -> Y -> X built by a thread that then ends; X's creation reference is actor 2's. */
    private static final EndedOwner<Tracked[]> SOURCE = new EndedOwner<>(() -> {
        Tracked x = new Tracked();
        Tracked y = new Tracked();
        x.next.set(y);
        y.next.set(x);
        y.decref();
        return new Tracked[] {x, y};
    });

    final Tracked x;
    final Tracked y;
    final DeathQueue<String> deathsX = new DeathQueue<>();
    final DeathQueue<String> deathsY = new DeathQueue<>();
    volatile boolean collecting;

    public CollectorEndedOwnerCycleTest() {
        Tracked[] c = SOURCE.take();
        x = c[0];
        y = c[1];
        deathsX.watch(x, "X");
        deathsY.watch(y, "Y");
    }

    @Actor
    public void collector(III_Result r) {
        collecting = true;
        try {
            SafeThread.collect();
            r.r3 = 1;
        } catch (RuntimeException e) {
            r.r3 = 2;
        }
    }

    @Actor
    public void releaser(III_Result r) {
        Spin.until(() -> collecting, Spin.PARTNER_NANOS);
        boolean intact = x.isAlive() && y.isAlive() && x.next.get() == y && y.next.get() == x;
        try {
            x.decref();
            r.r1 = intact ? 1 : 0;
        } catch (IllegalStateException e) {
            r.r1 = 2;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        SafeThread.collect();
        r.r2 = 100 + 10 * Deaths.drain(deathsX) + Deaths.drain(deathsY);
    }
}
