package org.safethread.internal.monitor;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * The lock word of a {@link MonitorLock} (AQS's state and exclusive owner) on a cache line of its
 * own, away from the monitor's other fields.
 *
 * <h2>Implementation notes</h2>
 *
 * <p>Under contention the lock word's cache line moves between cores on every acquisition and
 * release. Every field a thread reads <em>before</em> it acquires (the monitor's {@code space},
 * its entry queue's head) would, if it shared that line, cost an extra coherence miss per call
 * (read shared, then the CAS upgrades it), and which fields share the line depends on where the
 * monitor happens to be allocated: a 72-byte {@code MonitorLock} put its {@code firstWaiter} on
 * the lock word's line for 2 of 8 possible 8-byte alignments, and its {@code space} for another
 * 2: a likely cause of the two-thread contended benchmark's fork-to-fork bimodality (see
 * {@code docs/performance.md}, "Contended entry", and {@code MonitorAlignmentBench}).
 *
 * <p>HotSpot lays out a superclass's fields before a subclass's, so the seven longs here sit
 * between AQS's fields (header, owner, state, head, tail: all within the object's first 28 bytes;
 * an int fills the gap after them) and {@code MonitorLock}'s: its first field starts at least 64 bytes after the lock word, on
 * another line whatever the alignment. The line before the lock word holds only the object header
 * and whatever object the allocator put in front (the monitor is allocated before its proxy, so
 * that is never the proxy). The price is 64 bytes per monitor (136 bytes instead of 72). {@code ReentrantLock} gets the
 * same effect by keeping its word in a separate small {@code Sync} object reached through a
 * final field.
 */
abstract class LockWord extends AbstractQueuedSynchronizer {
    private static final long serialVersionUID = 1L;

    // Padding only: never read or written (see the class comment). The int fills the 4-byte gap
    // after AQS's fields, which HotSpot would otherwise fill with a subclass's int.
    int padGap;
    long pad0;
    long pad1;
    long pad2;
    long pad3;
    long pad4;
    long pad5;
    long pad6;
}
