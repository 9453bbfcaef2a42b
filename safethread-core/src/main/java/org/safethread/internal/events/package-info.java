/**
 * JDK Flight Recorder events for the runtime's abnormal events (category {@code safethread}).
 *
 * <p>The lowest layer: it imports nothing from the rest of the library, so every other package
 * may commit these events. Each event is begun where the thing it measures starts and committed
 * where it ends ({@code begin()}/{@code commit()}), so its JFR duration is real; an event class
 * that JFR has not enabled costs one allocation that escape analysis usually removes. The
 * collector's and the deadlock breaker's events live beside their code
 * ({@code internal.collector.CollectionEvent}, {@code internal.deadlock.DeadlockBrokenEvent}).
 */
@NullMarked
package org.safethread.internal.events;

import org.jspecify.annotations.NullMarked;
