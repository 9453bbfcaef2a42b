package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
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
 * Protocol: the attach/detach protocol and merging on a blocked owner's behalf
 * ({@code ThreadState.detach/tryHold/release/attach}; {@code Merges.queue}: push, request,
 * {@code tryHold} and merge at once, else ask the housekeeper; the Dekker pair "requester pushes
 * then reads the state / owner writes DETACHED then checks its queue").
 *
 * <p>As in {@link RefLastTwoReleasesTest} the owner's plain count holds X's last two
 * references. The owner's actor releases one and then waits — blocked inside the runtime, in
 * {@code DeathQueue.poll(2 s)} — for X's death notice; the other actor releases the other one.
 * Whether that release comes before the owner blocks (the owner's safe point merges), while it is
 * blocked (the releasing thread holds the detached owner and merges itself), or just as it
 * detaches (the housekeeper merges within milliseconds), X must die and the owner must get the
 * notice well within 2 s. r1/r2 = actor 1/2 (1 released, 2 released as the owner and got the
 * notice, 3 released as the owner and waited 2 s in vain, 0 found X dead before releasing, 4
 * decref threw), r3 = all death notices (+10 if X is still alive), r4 = owner role (0 harness,
 * 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 2, 1, 1, 1} / {@code 1, 2, 1, 2}: the blocked owner was served (ACCEPTABLE).</li>
 *   <li>{@code 1, 1, 10, 0} / {@code 1, 1, 1, 0}: harness-owned (first generation): both actors
 *       release as non-owners, nobody waits (ACCEPTABLE).</li>
 *   <li>a {@code 3}: the merge owed to a blocked owner never happened (FORBIDDEN); {@code 0}/{@code 4}:
 *       early death (FORBIDDEN); other notice counts: death lost or doubled (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"2, 1, 1, 1", "1, 2, 1, 2"}, expect = ACCEPTABLE, desc = "blocked owner: merged on its behalf, notice received")
@Outcome(id = {"1, 1, 10, 0", "1, 1, 1, 0"}, expect = ACCEPTABLE, desc = "harness-owned: two non-owner releases")
@Outcome(id = {"3, .*", ".*, 3, .*"}, expect = FORBIDDEN, desc = "owner blocked in the runtime, but nobody merged for it")
@Outcome(expect = FORBIDDEN, desc = "early death, lost death, or death processed twice")
@State
public class RefMergeOwnerDetachedTest {
    final Owner owner = new Owner();
    final Tracked x = new Tracked();
    final DeathQueue<Integer> deaths = new DeathQueue<>();
    volatile int ownerNotices;

    public RefMergeOwnerDetachedTest() {
        x.incref();
        deaths.watch(x, 1);
    }

    private int release() {
        if (!x.isAlive()) {
            return 0;
        }
        try {
            x.decref();
        } catch (IllegalStateException e) {
            return 4;
        }
        if (!owner.isCurrent()) {
            return 1;
        }
        try {
            if (deaths.poll(Duration.ofSeconds(2)) == null) {
                return 3;
            }
        } catch (InterruptedException e) {
            return 3;
        }
        ownerNotices = 1;
        return 2;
    }

    @Actor
    public void actor1(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        r.r1 = release();
    }

    @Actor
    public void actor2(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        r.r2 = release();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        owner.pollIfCurrent();
        r.r3 = ownerNotices + Deaths.drain(deaths) + (x.isAlive() ? 10 : 0);
    }
}
