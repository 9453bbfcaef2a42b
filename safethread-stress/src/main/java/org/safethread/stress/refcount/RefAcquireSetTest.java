package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.DeathQueue;
import org.safethread.Ref;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: {@code Ref.acquire} ({@code RefCounts.acquire}: volatile read of the slot,
 * {@code tryIncref} — owner plain increment, cell, or shared CAS that fails on DEAD — then
 * re-check the slot and give the reference back if it moved) racing {@code Ref.set}
 * ({@code RefCounts.set}: incref the new value, getAndSet, decref the old one, which may be its
 * last reference).
 *
 * <p>A slot holds A, and the slot's reference is A's only one. Actor 1 acquires from the slot;
 * actor 2 sets the slot to B (then drops its own reference to B), releasing A's last reference.
 * The acquired object must be alive (a counted reference) and is then released. The arbiter
 * clears the slot; on the owner it passes a safe point so that queued releases are merged, after
 * which A and B must each have died exactly once. r1 = what acquire returned (1 A, 2 B; +10 if it
 * was dead; 8 acquire or the release threw), r2 = actor 2 (1 ok, 2 threw), r3 = 100 + 10 * A's
 * death notices + B's, r4 = owner role (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 1|2, 1, 111, 1|2}: got a live A or B; each died once (ACCEPTABLE).</li>
 *   <li>{@code 1|2, 1, 1xy, 0}: harness-owned: deaths may wait for the harness thread
 *       (ACCEPTABLE).</li>
 *   <li>anything else — a dead result (11, 12), an exception, a lost or doubled death
 *       (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"[12], 1, 111, [12]"}, expect = ACCEPTABLE, desc = "acquired a live object; A and B died once each")
@Outcome(id = {"[12], 1, 1[01][01], 0"}, expect = ACCEPTABLE, desc = "harness-owned: deaths wait for the harness thread")
@Outcome(expect = FORBIDDEN, desc = "dead result, exception, or a death lost or doubled")
@State
public class RefAcquireSetTest {
    final Owner owner = new Owner();
    final Tracked a = new Tracked();
    final Tracked b = new Tracked();
    final Ref<Tracked> slot = new Ref<>(a);
    final DeathQueue<String> deathsA = new DeathQueue<>();
    final DeathQueue<String> deathsB = new DeathQueue<>();

    public RefAcquireSetTest() {
        a.decref(); // A is referenced by the slot only
        deathsA.watch(a, "A");
        deathsB.watch(b, "B"); // B's creation reference belongs to actor 2
    }

    @Actor
    public void acquirer(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        try {
            Tracked v = slot.acquire();
            int code = v == a ? 1 : v == b ? 2 : v == null ? 5 : 9;
            if (v != null) {
                if (!v.isAlive()) {
                    code += 10;
                }
                v.decref();
            }
            r.r1 = code;
        } catch (IllegalStateException e) {
            r.r1 = 8;
        }
    }

    @Actor
    public void setter(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        try {
            slot.set(b);
            b.decref();
            r.r2 = 1;
        } catch (IllegalStateException e) {
            r.r2 = 2;
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        slot.clear();
        owner.pollIfCurrent();
        r.r3 = 100 + 10 * Deaths.drain(deathsA) + Deaths.drain(deathsB);
    }
}
