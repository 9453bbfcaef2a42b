package org.safethread.stress.support;

import java.util.concurrent.ConcurrentLinkedQueue;
import org.safethread.internal.runtime.ThreadState;

/**
 * Runtime thread states for tests whose actors play a protocol on behalf of a thread that is not
 * theirs (each jcstress state needs its own, and jcstress's actor threads are shared by all
 * states). A state is taken in a jcstress state's constructor and given back by its arbiter; when
 * none is spare, a short-lived thread is started to make one, so the pool grows to the number of
 * states in flight and no further. The threads have ended: their states are used only as the
 * protocol's data (no park, no attach), and an unpark of an ended thread is harmless.
 */
public final class SpareStates {
    private static final ConcurrentLinkedQueue<ThreadState> SPARE = new ConcurrentLinkedQueue<>();

    private SpareStates() {
    }

    /** @return a state no other live jcstress state uses */
    public static ThreadState take() {
        ThreadState ts = SPARE.poll();
        return ts != null ? ts : make();
    }

    /** Gives {@code ts} back once its jcstress state is done with it. */
    public static void give(ThreadState ts) {
        SPARE.add(ts);
    }

    private static ThreadState make() {
        ThreadState[] made = new ThreadState[1];
        Thread t = new Thread(() -> made[0] = ThreadState.current(), "safethread-stress-spare-state");
        t.start();
        try {
            t.join(); // join: made[0] is visible (JLS 17.4.5)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making a spare thread state", e);
        }
        return made[0];
    }
}
