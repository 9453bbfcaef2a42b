package org.safethread.stress.support;

import java.util.concurrent.atomic.AtomicInteger;
import org.safethread.Finalize;
import org.safethread.FinalizerCore;
import org.safethread.RefCounted;
import org.safethread.Shareable;

/** A counted object with a finalizer core that counts how often it ran. */
public final class Finalizable extends RefCounted {

    /** The core: shareable, does not reach its owner, counts its runs. */
    @Shareable
    public static final class Core {
        /** How many times {@link #finish()} ran; exactly once is the contract. */
        public final AtomicInteger runs = new AtomicInteger();

        @Finalize
        void finish() {
            runs.incrementAndGet();
        }
    }

    @FinalizerCore
    public final Core core = new Core();
}
