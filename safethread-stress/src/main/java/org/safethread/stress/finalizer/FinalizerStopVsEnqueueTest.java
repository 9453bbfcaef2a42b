package org.safethread.stress.finalizer;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.safethread.SafeThread;
import org.safethread.internal.finalizer.Finalizers;
import org.safethread.stress.support.Finalizable;
import org.safethread.stress.support.Rendezvous;

/**
 * Protocol: stopping the finalizer worker ({@code SafeThread.shutdown}, {@code Finalizers.stopWorker})
 * against queueing a core ({@code Finalizers.enqueue}), the Dekker pair on {@code STARTED}: the
 * enqueuer adds its core and then reads {@code STARTED} (starting a worker if false); the stopper
 * clears {@code STARTED} and then looks for a queued core (restarting a worker if it finds one).
 * If both read the other's old value, the core is stranded: queued, with no worker to run it.
 *
 * <p>Actor 1 queues a core that counts its runs; actor 2 shuts the runtime down with a zero
 * timeout (nothing is waited for, the worker and the other runtime threads are told to stop).
 * The arbiter waits up to 10 s for the finalizers. r1 = 1 if none was pending by then, r2 = the
 * core's runs.
 * <ul>
 *   <li>{@code 1, 1}: the core ran once, whichever side won (ACCEPTABLE).</li>
 *   <li>anything else: stranded (r1 = 0, r2 = 0) or run twice (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "the core ran once, whether queued before or after the stop")
@Outcome(expect = FORBIDDEN, desc = "the core was stranded in the queue with no worker, or ran twice")
@State
public class FinalizerStopVsEnqueueTest {
    final Finalizable.Core core = new Finalizable.Core();
    /** shutdown costs far more than an enqueue: meet first, so that the two overlap. */
    final Rendezvous meet = new Rendezvous();

    @Actor
    public void enqueuer() {
        meet.arriveAndAwait();
        Finalizers.enqueue(core, Finalizable.class);
    }

    @Actor
    public void stopper() {
        meet.arriveAndAwait();
        SafeThread.shutdown(Duration.ZERO);
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = SafeThread.awaitFinalizers(Duration.ofSeconds(10)) ? 1 : 0;
        r.r2 = core.runs.get();
    }
}
