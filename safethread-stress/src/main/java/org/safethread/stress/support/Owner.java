package org.safethread.stress.support;

import org.safethread.SafeThread;

/**
 * Remembers the thread that built a jcstress state, which owns every counted object the state
 * constructor created.
 *
 * <p>Which thread that is (jcstress 0.16, see the generated {@code *_jcstress} runners): the
 * first generation of states of an iteration is built by the harness thread before the actors
 * start — that thread then sleeps outside the runtime until the iteration ends, so merges it owes
 * wait until it next calls into the runtime (it builds the next iteration's states: the
 * constructor is a runtime call). Every later generation is rebuilt by the actor threads during
 * the consume phase: the thread of actor k rebuilds the k-th share of the state array, right
 * after running the arbiter for that share. So for generations after the first, the owner is one
 * of the actors (actor 1 for the first half of the states, actor 2 for the second) and the
 * arbiter runs on the owner; tests record this as the outcome's "role" (0 = harness, 1 = actor 1,
 * 2 = actor 2) so that both cases are visible in the report.
 */
public final class Owner {
    private final Thread thread = Thread.currentThread();

    /** @return whether the calling thread built the state (owns its objects) */
    public boolean isCurrent() {
        return thread == Thread.currentThread();
    }

    /**
     * On the owner: a safe point, so that references other threads released on the owner's
     * behalf are merged now (objects whose count reached zero die here). Elsewhere: nothing.
     */
    public void pollIfCurrent() {
        if (isCurrent()) {
            SafeThread.poll();
        }
    }
}
