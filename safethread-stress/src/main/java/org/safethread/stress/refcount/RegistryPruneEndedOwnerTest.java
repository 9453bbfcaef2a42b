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
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.EndedOwner;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: the thread registry forgetting ended threads on the add path
 * ({@code ThreadRegistry.add} → {@code dropEnded}: {@code isAlive()} false, {@code tryHold},
 * {@code OwnerWork.hasLeftoverWork}, {@code hasQueuedMerges}, remove) racing a non-owner release
 * that must merge into the ended owner's plain count ({@code RefCounts.decrefSlow}: shared word,
 * merge queue, {@code tryHold} of the ended owner, or the housekeeper via
 * {@code Merges.OWNERS_WITH_WORK}). Dropping the owner's state from the registry must not lose
 * that merge: the object still dies, exactly once.
 *
 * <p>A thread created X with two references and ended. Actor 1 releases one (a non-owner
 * release while the owner's plain count still holds the other), actor 2 prunes the registry;
 * the arbiter releases the last reference and waits for X's death notice. r1 = actor 1 (1 ok, 2
 * threw), r2 = actor 2 (1 pruned, 0 another prune was running), r3 = death notices.
 * <ul>
 *   <li>{@code 1, *, 1}: X died once after its last release (ACCEPTABLE).</li>
 *   <li>{@code 1, *, 0}: X never died — the merge was lost with the dropped state (FORBIDDEN).</li>
 *   <li>anything else: a release threw, or X died twice (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"1, 1, 1", "1, 0, 1"}, expect = ACCEPTABLE, desc = "died once, after its last release")
@Outcome(id = {"1, 1, 0", "1, 0, 0"}, expect = FORBIDDEN, desc = "the ended owner's merge was lost when its state was dropped")
@Outcome(expect = FORBIDDEN, desc = "a release threw, or the object died twice")
@State
public class RegistryPruneEndedOwnerTest {
    private static final EndedOwner<Tracked> SOURCE = new EndedOwner<>(() -> {
        Tracked x = new Tracked();
        x.incref();
        return x;
    });

    final Tracked x = SOURCE.take();
    final DeathQueue<String> deaths = new DeathQueue<>();

    public RegistryPruneEndedOwnerTest() {
        deaths.watch(x, "X");
    }

    @Actor
    public void releaser(III_Result r) {
        try {
            x.decref();
            r.r1 = 1;
        } catch (RuntimeException e) {
            r.r1 = 2;
        }
    }

    @Actor
    public void pruner(III_Result r) {
        r.r2 = ThreadRegistry.pruneEndedNow() ? 1 : 0;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            x.decref();
        } catch (RuntimeException e) {
            r.r1 = 3;
        }
        r.r3 = Deaths.await(deaths, Duration.ofSeconds(5));
    }
}
