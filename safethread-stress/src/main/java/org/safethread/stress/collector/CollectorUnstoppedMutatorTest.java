package org.safethread.stress.collector;

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
import org.safethread.SafeThread;
import org.safethread.internal.refcount.CountFields;
import org.safethread.internal.refcount.CountWord;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.EndedOwner;
import org.safethread.stress.support.Spin;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: the collector's snapshot validation ({@code Snapshot}: per-object snapshot of the
 * shared word with SCAN set, cells frozen; any later change by another thread sets TOUCHED or
 * changes refs; a garbage group dies only if every member's word is still exactly its snapshot,
 * by CAS from the snapshot) against a mutator the collector does not stop.
 *
 * <p>Here nothing stops the mutator: the cycle X &lt;-&gt; Y was built by a thread that has
 * ended and both members were merged before the race (all their counts live in the shared words),
 * and actor 2's thread owns no counted object, so the handshake skips it and it runs through the
 * snapshot. Actor 1 re-queues Y as a candidate (a non-owner incref/decref) and collects: the
 * snapshot takes Y, then X through Y's slot. X's external reference is held by actor 2, which
 * waits until the collection has snapshotted Y (SCAN in Y's word), then acquires Y from X's slot
 * and releases X. A snapshot that read Y before the acquire
 * and X after the release sees a garbage cycle that is not garbage; only validation saves it. The
 * arbiter checks the acquired Y and X are alive and intact, releases Y (now the cycle is garbage)
 * and runs a collection, which must kill each member exactly once. r1 = actor 2 (1 acquired Y,
 * 0 got something else, 2 a count operation threw), r2 = 1 if Y alive + 10 if X alive + 100 if
 * both slots intact (before the arbiter's release), r3 = 100 + 10 * X's death notices + Y's (after
 * the arbiter's collection), r4 = 1 if actor 2 saw Y's snapshot start, 0 if it gave up waiting
 * (the collection found nothing to do with this cycle, e.g. another collection took it).
 * <ul>
 *   <li>{@code 1, 111, 111, 1}: the race was hit; nothing died early; collected once
 *       (ACCEPTABLE).</li>
 *   <li>{@code 1, 111, 111, 0}: same, without landing inside the snapshot
 *       (ACCEPTABLE_INTERESTING: the window was missed).</li>
 *   <li>r2 != 111: a referenced cycle was killed (FORBIDDEN); r3 != 111: garbage missed by an
 *       explicit collection, or killed twice (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 111, 111, 1", expect = ACCEPTABLE, desc = "raced the snapshot; nothing died early; collected once")
@Outcome(id = "1, 111, 111, 0", expect = ACCEPTABLE_INTERESTING, desc = "did not land inside a snapshot")
@Outcome(expect = FORBIDDEN, desc = "a referenced cycle was killed, or garbage was missed / killed twice")
@State
public class CollectorUnstoppedMutatorTest {
    /** A merged-later cycle: X -> Y -> X, one spare reference on each for the constructor to drop. */
    private static final EndedOwner<Tracked[]> SOURCE = new EndedOwner<>(() -> {
        Tracked x = new Tracked();
        Tracked y = new Tracked();
        x.next.set(y);
        y.next.set(x);
        x.incref(); // spare: dropped by the state constructor to merge X
        y.incref(); // spare, likewise; Y's creation reference is dropped there too
        return new Tracked[] {x, y};
    });
    private static final long MERGE_NANOS = 1_000_000_000L;
    private static final long SCAN_WAIT_NANOS = 2_000_000L;

    final Tracked x;
    final Tracked y;
    final DeathQueue<String> deathsX = new DeathQueue<>();
    final DeathQueue<String> deathsY = new DeathQueue<>();
    volatile boolean collecting;
    volatile boolean done;
    volatile Tracked got;

    public CollectorUnstoppedMutatorTest() {
        Tracked[] c = SOURCE.take();
        x = c[0];
        y = c[1];
        // Non-owner releases: each drives the shared count negative, so the ended owner is held
        // and the object merged (by us, or by the housekeeper a moment later). Y first, so that
        // Y is queued as a candidate (and snapshotted) before X.
        y.decref();
        y.decref();
        x.decref();
        Spin.until(() -> merged(x) && merged(y), MERGE_NANOS);
        deathsX.watch(x, "X");
        deathsY.watch(y, "Y");
    }

    private static boolean merged(Tracked t) {
        return CountWord.isMerged(CountFields.wordVolatile(t));
    }

    @Actor
    public void collector() {
        // Make Y a candidate of this collection, first in line: the epoch's first collection
        // already examined every state's X and Y (jcstress builds all states up front) and took
        // them off the candidate lists. A non-owner increment and decrement re-queue Y (it is
        // alive: actor 2 holds X, or Y itself). X is then reached from Y, right after it.
        y.incref();
        y.decref();
        collecting = true;
        try {
            SafeThread.collect();
        } finally {
            done = true;
        }
    }

    @Actor
    public void mutator(IIII_Result r) {
        Spin.until(() -> collecting, Spin.PARTNER_NANOS);
        boolean scanned = Spin.until(() -> (CountFields.wordVolatile(y) & CountWord.SCAN) != 0 || done, SCAN_WAIT_NANOS)
                && !done;
        r.r4 = scanned ? 1 : 0;
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
        SafeThread.collect();
        r.r3 = 100 + 10 * Deaths.drain(deathsX) + Deaths.drain(deathsY);
    }
}
