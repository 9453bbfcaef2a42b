package org.safethread.stress.refcount;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.CountDownLatch;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.internal.runtime.ThreadState;

/**
 * Protocol: a thread's first runtime call ({@code ThreadState.current()} →
 * {@code ThreadRegistry.add}) racing the registry's prune of ended threads
 * ({@code ThreadRegistry.pruneEndedNow}, the add path's {@code dropEnded}). The prune removes a
 * state only when {@code Thread.isAlive()} is false, so a thread that is alive — here, one that has
 * just registered and is still running — is never forgotten (the deadlock detector maps monitor
 * owners to their states through the registry).
 *
 * <p>Actor 1 starts a thread that makes its first runtime call and then waits; actor 2 prunes
 * (and a second, ended thread gives the prune something to remove). The arbiter looks the live
 * thread up, then lets it end. r1 = 1 when the live thread's state is registered (its own state),
 * r2 = 1 when the prune ran (0: another prune was running).
 * <ul>
 *   <li>{@code 1, *}: the live thread stayed registered (ACCEPTABLE).</li>
 *   <li>{@code 0, *}: a live thread's state was dropped (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"1, 1", "1, 0"}, expect = ACCEPTABLE, desc = "the live thread stayed registered")
@Outcome(expect = FORBIDDEN, desc = "a live thread's state was dropped, or it did not register")
@State
public class RegistryPruneFirstCallTest {
    final CountDownLatch registered = new CountDownLatch(1);
    final CountDownLatch finish = new CountDownLatch(1);
    volatile Thread live;
    volatile ThreadState liveState;

    public RegistryPruneFirstCallTest() {
        Thread ended = new Thread(ThreadState::current, "safethread-stress-ended");
        ended.start();
        join(ended);
    }

    @Actor
    public void firstCall() {
        Thread t = new Thread(() -> {
            liveState = ThreadState.current();
            registered.countDown();
            awaitQuietly(finish);
        }, "safethread-stress-first-call");
        t.setDaemon(true);
        live = t;
        t.start();
        awaitQuietly(registered);
    }

    @Actor
    public void pruner(II_Result r) {
        r.r2 = ThreadRegistry.pruneEndedNow() ? 1 : 0;
    }

    @Arbiter
    public void arbiter(II_Result r) {
        Thread t = live;
        r.r1 = t != null && ThreadRegistry.stateOf(t) == liveState && liveState != null ? 1 : 0;
        finish.countDown();
        join(t);
    }

    private static void awaitQuietly(CountDownLatch l) {
        boolean interrupted = false;
        for (;;) {
            try {
                l.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        boolean interrupted = false;
        for (;;) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
