package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicMarkableReference;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.AtomicStampedReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.finalizer.CoreRules;
import org.safethread.internal.finalizer.ReachWalk;

/**
 * Issue 10 C: "a finalizer core must not reach its owner" is checked completely — through the
 * JDK's holder types, at any depth, across cycles — and what the walk cannot see is refused,
 * never accepted.
 */
@Timeout(120)
class CoreReachTest {

    /** A core that holds anything, to put the owner behind each holder shape. */
    @Shareable
    static final class AnyCore {
        final Object held;

        AnyCore(Object held) {
            this.held = held;
        }

        @Finalize
        void done() {
        }
    }

    static final class Owner {
        @FinalizerCore
        final AnyCore core;

        Owner(java.util.function.Function<Object, Object> holderOf) {
            core = new AnyCore(holderOf.apply(this));
        }
    }

    /** A plain node, to build chains and cycles in the walk graph. */
    static final class Node {
        Object next;
        Object other;
    }

    record Pair(Object left, Object right) {
    }

    /** Registers an owner whose core holds {@code holderOf(owner)}; returns the refusal, or null. */
    private static String registerWith(java.util.function.Function<Object, Object> holderOf) {
        Owner owner = new Owner(holderOf);
        try {
            SafeThread.register(owner);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static void refusedAsReaching(java.util.function.Function<Object, Object> holderOf, String pathPart) {
        String why = registerWith(holderOf);
        assertThat(why).as("refusal").isNotNull().contains("reaches its owner").contains(pathPart);
    }

    @Test
    void theOwnerBehindEachJdkHolderIsFound() {
        refusedAsReaching(AtomicReference::new, "core.held.get()");
        refusedAsReaching(o -> new AtomicStampedReference<>(o, 1), "core.held.getReference()");
        refusedAsReaching(o -> new AtomicMarkableReference<>(o, true), "core.held.getReference()");
        refusedAsReaching(o -> new AtomicReferenceArray<>(new Object[] {"a", o}), "core.held[1]");
        refusedAsReaching(Optional::of, "core.held.get()");
        refusedAsReaching(o -> Map.entry("k", o), "core.held.getValue()");
        refusedAsReaching(o -> Map.entry(o, "v"), "core.held.getKey()");
        refusedAsReaching(o -> new java.util.AbstractMap.SimpleImmutableEntry<>("k", o), "core.held.getValue()");
        refusedAsReaching(o -> List.of("a", "b", o), "core.held[2]");
        refusedAsReaching(o -> new ArrayList<>(List.of(o)), "core.held[0]");
        refusedAsReaching(o -> new java.util.LinkedList<>(List.of(o)), "core.held[0]");
        refusedAsReaching(o -> new java.util.ArrayDeque<>(List.of(o)), "core.held[0]");
        refusedAsReaching(o -> Map.of("k", o), "core.held.value[0]");
        refusedAsReaching(o -> new HashMap<>(Map.of("k", o)), "core.held.value[0]");
        refusedAsReaching(o -> new ConcurrentHashMap<>(Map.of("k", o)), "core.held.value[0]");
        refusedAsReaching(o -> Collections.singletonMap("k", o), "core.held.value[0]");
        refusedAsReaching(o -> new java.util.IdentityHashMap<>(Map.of(o, "v")), "core.held.key[0]");
        refusedAsReaching(o -> new java.util.concurrent.CopyOnWriteArrayList<>(List.of(o)), "core.held[0]");
        refusedAsReaching(o -> new java.util.concurrent.LinkedBlockingQueue<>(List.of(o)), "core.held[0]");
        refusedAsReaching(o -> new Object[] {null, new Object[] {o}}, "core.held[1][0]");
        refusedAsReaching(java.lang.ref.WeakReference::new, "core.held.get()");
        refusedAsReaching(java.lang.ref.SoftReference::new, "core.held.get()");
        refusedAsReaching(o -> new Pair("x", o), "core.held.right");
        refusedAsReaching(o -> Monitor.of(new Box(o)), "core.held.value");
        refusedAsReaching(o -> (Supplier<Object>) () -> o, "core.held.arg$1");
    }

    /** A monitor target holding anything. */
    static class Box {
        private Object value;

        Box(Object value) {
            this.value = value;
        }

        @MonitorMethod
        public Object get() {
            return value;
        }
    }

    @Test
    void aPathLongerThanAnyDepthCapIsFoundAndTheMessageStaysShort() {
        int depth = 100_000; // far beyond the old cap of 24, and beyond any recursion the stack allows
        String why = registerWith(owner -> {
            Node head = new Node();
            Node n = head;
            for (int i = 1; i < depth; i++) {
                Node next = new Node();
                n.next = next;
                n = next;
            }
            n.other = owner;
            return head;
        });
        assertThat(why).contains("reaches its owner").contains("core.held.next.next")
                .contains("more steps").endsWith(why.substring(why.indexOf("more steps")))
                .contains(".other");
        assertThat(why.length()).as("message length for a path 100,000 long").isLessThan(600);
    }

    @Test
    void cyclesInTheGraphEndTheWalkAndAnUnreachedOwnerIsAccepted() {
        assertThat(registerWith(owner -> {
            Node a = new Node();
            Node b = new Node();
            a.next = b;
            b.next = a; // a cycle that does not reach the owner
            AtomicReference<Object> self = new AtomicReference<>();
            self.set(self);
            a.other = List.of(self, Optional.of(b), new Object[] {a, b});
            return a;
        })).isNull();
        refusedAsReaching(owner -> {
            Node a = new Node();
            Node b = new Node();
            a.next = b;
            b.next = a;
            b.other = new AtomicReference<>(owner);
            return a;
        }, "core.held.next.other.get()");
    }

    @Test
    void valuesTheWalkKnowsHoldNothingAreAccepted() {
        assertThat(registerWith(owner -> List.of(new AtomicInteger(), ByteBuffer.allocate(8),
                ByteBuffer.allocateDirect(8), java.nio.file.Path.of("/tmp"), "s", 1L, java.time.Instant.now(),
                new ConcurrentHashMap<>(Map.of("a", List.of(1, 2))), Thread.currentThread(), Owner.class,
                java.util.concurrent.TimeUnit.SECONDS))).isNull();
    }

    @Test
    void whatTheWalkCannotSeeIntoIsRefusedNotAccepted() {
        for (java.util.function.Function<Object, Object> shape : List.<java.util.function.Function<Object, Object>>of(
                o -> new CompletableFuture<>(),
                o -> Collections.unmodifiableList(new ArrayList<>()),
                o -> Collections.synchronizedMap(new HashMap<>()),
                o -> new HashMap<>().keySet(),
                o -> new ArrayList<Object>() { // a user subclass of a JDK collection
                },
                o -> new RuntimeException("x"))) {
            String why = registerWith(shape);
            assertThat(why).as("refusal for %s", shape).isNotNull()
                    .contains("cannot verify that the finalizer core of " + Owner.class.getName()
                            + " does not reach its owner")
                    .contains("core.held");
        }
    }

    @Test
    void theDeathCheckUsesTheSameWalk() {
        Counted c = new Counted();
        assertThatThrownBy(c::decref).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("core.held.get()");
        assertThat(c.isAlive()).isFalse();
    }

    static final class Counted extends RefCounted {
        @FinalizerCore
        final AnyCore core;

        Counted() {
            core = new AnyCore(new AtomicReference<>(this));
        }
    }

    @Test
    void reachesIsAnApiForOtherChecks() throws Exception {
        Object key = new Object();
        assertThat(CoreRules.reaches(new Pair("x", Optional.of(key)), key)).isEqualTo("value.right.get()");
        assertThat(CoreRules.reaches(new Pair("x", "y"), key)).isNull();
        assertThat(CoreRules.reaches(key, key)).isEqualTo("value");
        assertThat(CoreRules.reaches(null, key)).isNull();
        assertThatThrownBy(() -> CoreRules.reaches(new Pair(new CompletableFuture<>(), key), new Object()))
                .isInstanceOf(ReachWalk.Unverifiable.class).hasMessageContaining("value.left")
                .hasMessageContaining("CompletableFuture");
        // the walk found the target before it met what it cannot see: a path, not a refusal
        assertThat(CoreRules.reaches(new Pair(key, new CompletableFuture<>()), key)).isEqualTo("value.left");
    }
}
