package org.safethread.stress.collector;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.DeathQueue;
import org.safethread.SafeThread;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Spin;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: the cycle collector ({@code CycleCollector} / {@code Snapshot}: readable objects,
 * SCAN/TOUCHED, trial deletion, validation by unchanged words, group death by CAS) racing the
 * last external release of a cycle ({@code decref}: owner plain count or non-owner shared word,
 * merge queue).
 *
 * <p>The collection takes far longer than actor 2's operations, so actor 2 starts only when
 * actor 1 is about to collect (else the two would overlap only at the start of each jcstress
 * stride). Both actors' threads own objects (every state built after the first generation), so
 * the collection hand-shakes with actor 2: this test is about the handshake — counts of a
 * running owner are read only once it is parked at a safe point.
 *
 * <p>X and Y refer to each other; X's only other reference is held by actor 2, which checks that
 * the cycle is intact (both alive, both slots set) and releases it, while actor 1 runs a
 * collection. The collection may find the cycle garbage only after that release. The arbiter,
 * on the owner, then runs a collection of its own, which must kill the cycle — each member
 * exactly once. r1 = actor 2 (1 released an intact cycle, 0 the cycle was dead or cleared while
 * referenced, 2 decref threw), r2 = 100 + 10 * X's death notices + Y's, r3 = actor 1's collection
 * (1 ran, 2 threw), r4 = owner role (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 1, 111, 1, 1|2}: intact while referenced; both died exactly once (ACCEPTABLE).</li>
 *   <li>{@code 1, 1xy, 1, 0}: harness-owned: the owner cannot answer handshakes, so the cycle's
 *       counts are unreadable and it may outlive this iteration (ACCEPTABLE).</li>
 *   <li>{@code 0}/{@code 2} in r1: the collector killed a referenced cycle (FORBIDDEN); other
 *       notice counts with an actor owner: garbage missed by an explicit collection on its owner,
 *       or a member killed twice (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 111, 1, [12]", expect = ACCEPTABLE, desc = "intact while referenced; each member died once")
@Outcome(id = "1, 1[01][01], 1, 0", expect = ACCEPTABLE, desc = "harness-owned: unreadable, collected later")
@Outcome(expect = FORBIDDEN, desc = "early death, a missed garbage cycle, or a member killed twice")
@State
public class CollectorLastReleaseRaceTest {
    final Owner owner = new Owner();
    final Tracked x = new Tracked();
    final Tracked y = new Tracked();
    /** Set just before actor 1 starts its collection; actor 2 starts when it sees it. */
    volatile boolean collecting;
    final DeathQueue<String> deathsX = new DeathQueue<>();
    final DeathQueue<String> deathsY = new DeathQueue<>();

    public CollectorLastReleaseRaceTest() {
        x.next.set(y);
        y.next.set(x);
        y.decref(); // Y is referenced by X's slot only; X's own reference belongs to actor 2
        deathsX.watch(x, "X");
        deathsY.watch(y, "Y");
    }

    @Actor
    public void collector(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        collecting = true;
        try {
            SafeThread.collect();
            r.r3 = 1;
        } catch (RuntimeException e) {
            r.r3 = 2;
        }
    }

    @Actor
    public void releaser(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
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
    public void arbiter(IIII_Result r) {
        if (owner.isCurrent()) {
            SafeThread.collect();
        }
        r.r2 = 100 + 10 * Deaths.drain(deathsX) + Deaths.drain(deathsY);
    }
}
