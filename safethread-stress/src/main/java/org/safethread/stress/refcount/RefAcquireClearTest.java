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
 * Protocol: {@code Ref.acquire} (read slot, {@code tryIncref}, re-check, give back) racing
 * {@code Ref.clear} ({@code getAndSet(null)} then decref of the old value — its last reference).
 *
 * <p>A slot holds A, whose only reference is the slot's. Actor 1 acquires; actor 2 clears the
 * slot. acquire returns either null or a live A (which it then releases). After the arbiter's
 * safe point on the owner, A must have died exactly once. r1 = acquire's result (0 null, 1 A,
 * 11 a dead A, 8 threw), r2 = actor 2 (1 ok, 2 threw), r3 = A's death notices (+10 if alive),
 * r4 = owner role (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 0|1, 1, 1, 1|2}: null or a live A; A died once (ACCEPTABLE).</li>
 *   <li>{@code 0|1, 1, 1|10, 0}: harness-owned (ACCEPTABLE).</li>
 *   <li>anything else (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "[01], 1, 1, [12]", expect = ACCEPTABLE, desc = "null or a live A; A died exactly once")
@Outcome(id = "[01], 1, (1|10), 0", expect = ACCEPTABLE, desc = "harness-owned: A's death waits for the harness thread")
@Outcome(expect = FORBIDDEN, desc = "dead result, exception, or a death lost or doubled")
@State
public class RefAcquireClearTest {
    final Owner owner = new Owner();
    final Tracked a = new Tracked();
    final Ref<Tracked> slot = new Ref<>(a);
    final DeathQueue<String> deaths = new DeathQueue<>();

    public RefAcquireClearTest() {
        a.decref(); // A is referenced by the slot only
        deaths.watch(a, "A");
    }

    @Actor
    public void acquirer(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        try {
            Tracked v = slot.acquire();
            int code = v == a ? 1 : v == null ? 0 : 9;
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
    public void clearer(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        try {
            slot.clear();
            r.r2 = 1;
        } catch (IllegalStateException e) {
            r.r2 = 2;
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        owner.pollIfCurrent();
        r.r3 = Deaths.drain(deaths) + (a.isAlive() ? 10 : 0);
    }
}
