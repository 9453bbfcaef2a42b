/**
 * The runtime's statistics for monitoring: the snapshot behind {@code SafeThread.stats()} and
 * the opt-in platform MXBean ({@code safethread.jmx=true}, {@code org.safethread:type=Runtime}).
 * Null-marked: NullAway checks it at build time.
 */
@NullMarked
package org.safethread.internal.metrics;

import org.jspecify.annotations.NullMarked;
