package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.DeathQueue;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Spin;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: the owner giving up its plain count ({@code RefCounts.ownerDecref}: local count to
 * 0, then either "shared word is 0: CAS 0 -> DEAD, die without any atomic count op" or
 * {@code Merges.merge}: fold local + cells into the word, set MERGED, clear QUEUED, die if the
 * total is 0) racing a non-owner's shared release ({@code sharedRelease}: unmerged -> plain CAS,
 * merged -> CAS to DEAD when refs reaches 0 with no pins, else {@code zeroCheck}).
 *
 * <p>X is created by the state's owner (one plain reference). The non-owner actor takes its own
 * reference (shared word +1), tells the owner, and releases it again; the owner actor waits until
 * the non-owner holds its reference, then releases its own — its last, so it merges or (if the
 * word reads 0) kills X directly. The two releases race; X must die exactly once, by whichever
 * comes last, never before. r1/r2 = actor 1/2 (1 non-owner part done, 2 owner part done, 0 X
 * found dead while holding a reference, 4 a count operation threw, 3 the owner gave up waiting
 * 10 s for the non-owner), r3 = death notices (+10 if X is alive), r4 = owner role
 * (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 2, 1, 1, 1} / {@code 1, 2, 1, 2}: died exactly once (ACCEPTABLE).</li>
 *   <li>{@code 1, 1, 10, 0}: harness-owned: neither actor owns X, both only took and released a
 *       reference of their own; the owner's reference stays (the arbiter then releases it)
 *       (ACCEPTABLE).</li>
 *   <li>a {@code 3}: partner never came (ACCEPTABLE_INTERESTING, X is left alive).</li>
 *   <li>anything else — early death, no death, two deaths (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"2, 1, 1, 1", "1, 2, 1, 2"}, expect = ACCEPTABLE, desc = "died exactly once, at the last release")
@Outcome(id = "1, 1, 10, 0", expect = ACCEPTABLE, desc = "harness-owned: only non-owner references came and went")
@Outcome(id = {"3, 1, 10, 1", "1, 3, 10, 2"}, expect = ACCEPTABLE_INTERESTING, desc = "partner late (10 s): owner kept its reference")
@Outcome(expect = FORBIDDEN, desc = "early death, lost death, or death processed twice")
@State
public class RefMergeOnOwnerZeroTest {
    private static final long PARTNER_NANOS = 10_000_000_000L;

    final Owner owner = new Owner();
    final Tracked x = new Tracked();
    final DeathQueue<Integer> deaths = new DeathQueue<>();
    volatile boolean nonOwnerHolds;
    volatile boolean ownerReleased;

    public RefMergeOnOwnerZeroTest() {
        deaths.watch(x, 1);
    }

    private int ownerPart() {
        if (!Spin.until(() -> nonOwnerHolds, PARTNER_NANOS)) {
            return 3;
        }
        if (!x.isAlive()) {
            return 0;
        }
        try {
            ownerReleased = true;
            x.decref();
            return 2;
        } catch (IllegalStateException e) {
            return 4;
        }
    }

    private int nonOwnerPart() {
        // X is alive here: the owner does not release its reference before nonOwnerHolds.
        try {
            x.incref();
        } catch (IllegalStateException e) {
            return 0;
        }
        nonOwnerHolds = true;
        if (!x.isAlive()) {
            return 0;
        }
        try {
            x.decref();
            return 1;
        } catch (IllegalStateException e) {
            return 4;
        }
    }

    @Actor
    public void actor1(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
            r.r1 = ownerPart();
        } else {
            r.r1 = nonOwnerPart();
        }
    }

    @Actor
    public void actor2(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
            r.r2 = ownerPart();
        } else {
            r.r2 = nonOwnerPart();
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r3 = Deaths.drain(deaths) + (x.isAlive() ? 10 : 0);
        if (!ownerReleased) {
            // harness-owned, or the owner gave up: release the owner's reference so nothing leaks
            // (from a non-owner it dies at the owner's next safe point).
            x.decref();
        }
    }
}
