package org.safethread.stress.collector;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.SafeThread;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Spin;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: the cycle collector's consistency ({@code CycleCollector}: handshake, drain merges,
 * {@code Snapshot}: readable objects only, cells frozen and SCAN set per word, owner counts read
 * while the owner is held; trial deletion with the world running; validation "every member's
 * word unchanged since its snapshot", DEAD by CAS from the snapshot) racing {@code Ref.acquire}
 * and a release on a member of a would-be garbage cycle.
 *
 * <p>The collection takes far longer than actor 2's operations, so actor 2 starts only when
 * actor 1 is about to collect (else the two would overlap only at the start of each jcstress
 * stride). Both actors' threads own objects (every state built after the first generation), so
 * the collection hand-shakes with actor 2: this test is about the handshake — counts of a
 * running owner are read only once it is parked at a safe point.
 *
 * <p>X and Y refer to each other through their {@code Ref}s; Y has no other reference, X has one
 * more, held by actor 2. Actor 1 runs a collection. Actor 2 acquires Y from X's slot and then
 * releases X — the cycle is now referenced only through Y, which actor 2 holds. No collection may
 * kill it: before the acquire X's reference keeps the cycle, after the release Y's does. The
 * arbiter checks that the acquired Y and X are alive and their slots intact, then releases Y
 * (the cycle becomes garbage for later collections). r1 = actor 2 (1 acquired Y, 0 acquire
 * returned something else, 2 a count operation threw), r2 = 1 if Y alive + 10 if X alive + 100
 * if both slots still point at each other, r3 = collection (1 ran, 2 threw), r4 = owner role
 * (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 1, 111, 1, _}: the acquired object and its cycle survived (ACCEPTABLE).</li>
 *   <li>anything else: the collector killed an object that was referenced from outside
 *       (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 111, 1, [012]", expect = ACCEPTABLE, desc = "the acquired member and its cycle are alive")
@Outcome(expect = FORBIDDEN, desc = "the collector killed (part of) a referenced cycle")
@State
public class CollectorAcquireRaceTest {
    final Owner owner = new Owner();
    final Tracked x = new Tracked();
    final Tracked y = new Tracked();
    /** Set just before actor 1 starts its collection; actor 2 starts when it sees it. */
    volatile boolean collecting;
    volatile Tracked got;

    public CollectorAcquireRaceTest() {
        x.next.set(y);
        y.next.set(x);
        y.decref(); // Y is referenced by X's slot only; X's own reference belongs to actor 2
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
    public void mutator(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        Spin.until(() -> collecting, Spin.PARTNER_NANOS);
        try {
            Tracked v = x.next.acquire();
            got = v;
            x.decref();
            r.r1 = v == y ? 1 : 0;
        } catch (IllegalStateException e) {
            r.r1 = 2;
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        Tracked v = got;
        boolean slots = x.next.get() == y && y.next.get() == x;
        r.r2 = (v != null && v.isAlive() ? 1 : 0) + (x.isAlive() ? 10 : 0) + (slots ? 100 : 0);
        if (v != null && v.isAlive()) {
            v.decref();
        }
    }
}
