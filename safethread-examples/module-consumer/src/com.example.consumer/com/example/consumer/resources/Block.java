package com.example.consumer.resources;

import java.util.concurrent.atomic.AtomicInteger;
import org.safethread.Finalize;
import org.safethread.FinalizerCore;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.Shareable;

/** A counted resource with a finalizer core and a traced reference (so it can form a cycle). */
public final class Block extends RefCounted {
    /** Blocks whose core ran. */
    public static final AtomicInteger FREED = new AtomicInteger();

    /** What frees a block: it does not reach the block, so finalization cannot resurrect it. */
    @Shareable
    static final class Freer {
        @Finalize
        void free() {
            FREED.incrementAndGet();
        }
    }

    @FinalizerCore
    private final Freer freer = new Freer();

    /** Another block this one holds. */
    public final Ref<Block> next = new Ref<>();
}
