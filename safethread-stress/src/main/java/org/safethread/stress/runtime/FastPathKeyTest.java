package org.safethread.stress.runtime;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.stress.support.SpareStates;

/**
 * Protocol: the fast-path key ({@code ThreadState}'s notes, "The fast-path key"). A requester
 * sets request bits, then clears the key ({@code ThreadState.request}); the owner, at the end of
 * a {@code poll()} that found nothing left to do, restores the key, then reads the bits again and
 * clears the key if one came ({@code restoreFastPath}). Both sides are volatile: a Dekker pair.
 *
 * <p>Actor 1 plays the owner: it polls (a spare thread state, see {@link SpareStates}: nothing
 * to merge, so a merge request is simply answered). Actor 2 makes a merge request. The arbiter
 * reads r1 = whether a request bit is still set, r2 = whether the key is the thread (1) or null (0).
 * <ul>
 *   <li>{@code 0, 1}: the poll answered the request (or ran after it) and restored the key
 *       (ACCEPTABLE).</li>
 *   <li>{@code 1, 0}: the request came after the poll's loop; the key is cleared, so the owner's
 *       next runtime call takes its slow path and polls (ACCEPTABLE).</li>
 *   <li>{@code 1, 1}: a request pending behind a restored key: the owner's fast paths would not
 *       notice it until some slow path polled (FORBIDDEN).</li>
 *   <li>{@code 0, 0}: the poll answered the request between its bits and its clearing of the
 *       key, and the clear came last: a key cleared with nothing pending, harmless (the owner's
 *       next runtime call polls and restores it) (ACCEPTABLE).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "request answered by the poll, key restored")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "request after the poll: key cleared, the next call polls")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "answered between bits and clear: key cleared, nothing pending")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "request hidden behind a restored key")
@State
public class FastPathKeyTest {
    final ThreadState ts = SpareStates.take();

    @Actor
    public void owner() {
        ts.poll();
    }

    @Actor
    public void requester() {
        ts.request(ThreadState.REQ_MERGE);
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = ts.requests() != 0 ? 1 : 0;
        r.r2 = ts.fastPathThreadOpaque() == ts.thread ? 1 : 0;
        ts.poll(); // answer what is left and restore the key before the state is reused
        SpareStates.give(ts);
    }
}
